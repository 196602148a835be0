/**
 * Posts Events one after another in the background, a few at a time, retrying a failed one twice.
 * Events are reports, not state: losing one after retries is logged, never fatal, and never blocks
 * the writes that matter (status, annotations).
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

  idle(): Promise<void> {
    if (this.running === 0 && this.queue.length === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private pump(): void {
    while (this.running < this.concurrency && this.queue.length > 0) {
      const input = this.queue.shift()!;
      this.running++;
      void this.send(input).finally(() => {
        this.running--;
        this.pump();
      });
    }
    if (this.running === 0 && this.queue.length === 0) {
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
