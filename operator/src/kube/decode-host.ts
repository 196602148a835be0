/**
 * A Worker that decodes for the calling thread with a projection (kube/decoder.ts says why). One
 * Worker serves every store that asks; requests are answered in order. If the Worker fails, what
 * it had pending and everything after is decoded on the calling thread with the same projection,
 * so a failure costs memory, never data.
 */
import { workerUrl } from "../runtime/worker-url.ts";
import type { DecodeReply, DecodeRequest } from "./decode-protocol.ts";
import { DecodeError, type ObjectDecoder } from "./decoder.ts";
import { decodeProjectedEvents, decodeProjectedList, type ProjectionName } from "./projecting.ts";
import type { KubeList, RawWatchEvent } from "./types.ts";

const DECODE_WORKER_URL = workerUrl(import.meta.url, "kube/decode-worker");

type Request = DecodeRequest extends infer R ? (R extends { id: number } ? Omit<R, "id"> : never) : never;

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: unknown) => void;
  /** The same work on this thread (after a Worker failure). */
  readonly here: () => unknown;
}

export class DecodeHost {
  private worker: Worker | undefined;
  private readonly waiting = new Map<number, Pending>();
  private nextId = 1;

  constructor(
    private readonly onFailure: (message: string) => void = () => {},
    url: string = DECODE_WORKER_URL,
  ) {
    const worker = new Worker(url);
    // Never what keeps the process alive: the stores' watches do that.
    worker.unref();
    worker.onmessage = (event: MessageEvent<DecodeReply>) => this.settle(event.data);
    worker.onerror = (event) => this.fail(`decode worker failed: ${event.message}`);
    this.worker = worker;
  }

  /** Whether the Worker decodes (false after stop() or a failure: decoding happens here). */
  get inWorker(): boolean {
    return this.worker !== undefined;
  }

  /** A decoder whose objects come back projected by `projection` (kube/projecting.ts). */
  projecting(projection: ProjectionName): ObjectDecoder {
    return {
      list: <T>(text: string) =>
        this.request({ type: "list", projection, text }, () =>
          decodeProjectedList(text, projection),
        ) as Promise<KubeList<T>>,
      events: <T>(lines: readonly string[]) =>
        this.request({ type: "events", projection, lines }, () =>
          decodeProjectedEvents(lines, projection),
        ) as Promise<RawWatchEvent<T>[]>,
    };
  }

  /** Collects and shrinks the Worker's heap (after a burst: see runtime/idle-trim.ts). */
  async trim(): Promise<void> {
    await this.request({ type: "trim" }, () => undefined);
  }

  /** Ends the Worker; pending requests are finished on this thread. */
  stop(): void {
    const worker = this.worker;
    this.worker = undefined;
    worker?.terminate();
    this.finishHere();
  }

  private request(message: Request, here: () => unknown): Promise<unknown> {
    const worker = this.worker;
    if (worker === undefined) return Promise.resolve().then(here);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject, here });
      worker.postMessage({ ...message, id });
    });
  }

  private settle(reply: DecodeReply): void {
    const pending = this.waiting.get(reply.id);
    if (pending === undefined) return;
    this.waiting.delete(reply.id);
    if (reply.ok) pending.resolve(reply.value);
    else pending.reject(new DecodeError(reply.message, reply.excerpt));
  }

  private fail(message: string): void {
    if (this.worker === undefined) return;
    this.onFailure(message);
    this.stop();
  }

  private finishHere(): void {
    const pending = [...this.waiting.values()];
    this.waiting.clear();
    for (const { resolve, reject, here } of pending) {
      try {
        resolve(here());
      } catch (error) {
        reject(error);
      }
    }
  }
}
