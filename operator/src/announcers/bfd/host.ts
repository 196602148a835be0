/**
 * The main thread's side of the BFD Worker (worker.ts): hands it the whole desired set of sessions,
 * and reports each session's state changes. The Worker starts with the first session; a speaker
 * without BFD peers has no such thread.
 */
import { signalEventFd } from "../../runtime/libc.ts";
import type { BfdStateChange } from "./machine.ts";
import type { BfdState } from "./packet.ts";
import type { BfdPeerSpec, BfdPorts, BfdSessionCounters } from "./runner.ts";
import type { FromBfdWorker, ToBfdWorker } from "./worker-protocol.ts";

/** Where the Worker's code is, from source, from the bundle or from a compiled executable (as the BGP session Worker). */
export function bfdWorkerUrl(here: string): string {
  if (here.startsWith("file:///$bunfs/")) return new URL("./announcers/bfd/worker.ts", here).href;
  if (here.endsWith(".js")) return new URL("./announcers/bfd/worker.js", here).href;
  return new URL("./worker.ts", here).href;
}

export interface BfdHostEvents {
  change(key: string, change: BfdStateChange): void;
  problem(detail: string): void;
}

export class BfdHost {
  private worker: Worker | undefined;
  private readonly posted = new Int32Array(new SharedArrayBuffer(4));
  private wakeFd: number | undefined;
  private nextId = 1;
  private readonly waiting = new Map<number, (message: FromBfdWorker) => void>();
  private readonly states = new Map<string, BfdState>();
  private readonly addresses = new Map<string, string>();
  private failure: string | undefined;

  constructor(
    private readonly events: BfdHostEvents,
    private readonly options: { readonly url?: string; readonly ports?: BfdPorts } = {},
  ) {}

  /** The last state the Worker reported for a session (Down until it says otherwise). */
  state(key: string): BfdState | undefined {
    return this.states.get(key);
  }

  /** The peer address of a session, by key. */
  peerAddress(key: string): string | undefined {
    return this.addresses.get(key);
  }

  setDesired(peers: readonly BfdPeerSpec[]): void {
    for (const key of [...this.states.keys()]) if (!peers.some((p) => p.key === key)) this.states.delete(key);
    this.addresses.clear();
    for (const p of peers) this.addresses.set(p.key, p.peerAddress);
    for (const p of peers) if (!this.states.has(p.key)) this.states.set(p.key, "Down");
    if (peers.length === 0 && this.worker === undefined) return;
    this.post({ type: "set", peers });
  }

  async counters(): Promise<BfdSessionCounters[]> {
    if (this.worker === undefined || this.failure !== undefined) return [];
    const id = this.nextId++;
    const reply = await new Promise<FromBfdWorker>((resolve) => {
      this.waiting.set(id, resolve);
      this.post({ type: "counters", id });
    });
    return reply.type === "counters" ? [...reply.counters] : [];
  }

  /** AdminDown to every peer, then the Worker ends. */
  async stop(): Promise<void> {
    const worker = this.worker;
    if (worker === undefined || this.failure !== undefined) return;
    const id = this.nextId++;
    await Promise.race([
      new Promise<void>((resolve) => {
        this.waiting.set(id, () => resolve());
        this.post({ type: "stop", id });
      }),
      Bun.sleep(2000),
    ]);
    worker.terminate();
    this.worker = undefined;
    this.wakeFd = undefined;
  }

  private post(message: ToBfdWorker): void {
    if (this.failure !== undefined) return;
    this.worker ??= this.spawn();
    // Counted and woken before posting: the Worker's poll loop then takes it (membership/poll-loop.ts).
    Atomics.add(this.posted, 0, 1);
    if (this.wakeFd !== undefined) {
      const error = signalEventFd(this.wakeFd);
      if (error !== undefined) this.events.problem(`cannot wake the BFD worker: ${error}`);
    }
    this.worker.postMessage(message);
  }

  private spawn(): Worker {
    const worker = new Worker(this.options.url ?? bfdWorkerUrl(import.meta.url));
    worker.onmessage = (event: MessageEvent<FromBfdWorker>) => this.onMessage(event.data);
    worker.onerror = (event) => {
      this.failure = event.message;
      this.events.problem(`BFD worker failed: ${event.message}`);
      for (const resolve of this.waiting.values()) resolve({ type: "done", id: 0 });
      this.waiting.clear();
    };
    const start: ToBfdWorker = {
      type: "start",
      posted: this.posted.buffer as SharedArrayBuffer,
      ...(this.options.ports === undefined ? {} : { ports: this.options.ports }),
    };
    worker.postMessage(start);
    return worker;
  }

  private onMessage(message: FromBfdWorker): void {
    switch (message.type) {
      case "started":
        this.wakeFd = message.wakeFd;
        return;
      case "change":
        if (this.states.has(message.key)) this.states.set(message.key, message.change.to);
        this.events.change(message.key, message.change);
        return;
      case "problem":
        this.events.problem(message.detail);
        return;
      case "counters":
      case "done": {
        const resolve = this.waiting.get(message.id);
        this.waiting.delete(message.id);
        resolve?.(message);
        return;
      }
    }
  }
}
