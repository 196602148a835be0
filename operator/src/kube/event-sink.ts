/**
 * Posts Events one after another in the background, a few at a time, retrying a failed one twice.
 * Events are reports, not state: losing one after retries is logged, never fatal, and never blocks
 * the writes that matter (status, annotations). While a caller says those writes have a backlog
 * (`defer`), no new Event is started: after a cold start with 10k Services, every Event would
 * otherwise compete with an IP assignment for the same apiserver. Deferred Events are kept, in
 * order, and posted once the backlog clears (client-go's recorder drops them instead when its
 * queue of 1000 is full).
 */
import type { KubeClient } from "./client.ts";
import { createEvent, type EventInput } from "./events.ts";

export interface EventSinkOptions {
  readonly concurrency?: number;
  readonly onError?: (input: EventInput, error: unknown) => void;
}

export class EventSink {
  private readonly queue: EventInput[] = [];
  private running = 0;
  private head = 0;
  private deferred = false;
  private idleWaiters: Array<() => void> = [];
  private readonly concurrency: number;

  constructor(
    private readonly client: KubeClient,
    private readonly options: EventSinkOptions = {},
  ) {
    this.concurrency = options.concurrency ?? 4;
  }

  post(inputs: readonly EventInput[]): void {
    this.queue.push(...inputs);
    this.pump();
  }

  /** While true, queued Events wait; they are posted when it turns false. */
  defer(deferred: boolean): void {
    if (this.deferred === deferred) return;
    this.deferred = deferred;
    if (!deferred) this.pump();
  }

  /** Events queued and not yet started. */
  get queued(): number {
    return this.queue.length - this.head;
  }

  /**
   * Resolves when every queued Event was posted (or given up on), or after `timeoutMs` at the
   * latest (a stop should not wait for a long backlog of reports).
   */
  idle(timeoutMs?: number): Promise<void> {
    if (this.running === 0 && this.queued === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = timeoutMs === undefined ? undefined : setTimeout(resolve, timeoutMs);
      this.idleWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private pump(): void {
    while (!this.deferred && this.running < this.concurrency && this.queued > 0) {
      const input = this.queue[this.head++]!;
      // A queue read from the front: compact now and then instead of shift()ing 10k entries.
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      this.running++;
      void this.send(input).finally(() => {
        this.running--;
        this.pump();
      });
    }
    if (this.running === 0 && this.queued === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  private async send(input: EventInput): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await createEvent(this.client, input);
        return;
      } catch (error) {
        if (attempt >= 3) {
          this.options.onError?.(input, error);
          return;
        }
        await Bun.sleep(200 * attempt);
      }
    }
  }
}
