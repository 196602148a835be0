/**
 * Membership: which speakers are alive, from authenticated heartbeats on the segment the VIPs live
 * on (design: docs/membership.md). The speaker pipeline consumes members$ for the L2 election and
 * re-sends its gratuitous ARP/NA whenever changes$ reports a join (a partition healed, a node came
 * back).
 *
 * By default the engine runs in its own Worker thread, so a busy main thread (a big reconcile, a
 * large list decoded at once, GC) can neither delay our heartbeats nor make us declare live peers
 * dead; `thread: "inline"` runs it on the caller's event loop (unit tests, injected clock or
 * transport).
 */
import { networkInterfaces } from "node:os";
import { BehaviorSubject, type Observable, ReplaySubject, Subject } from "rxjs";
import { signalEventFd } from "../runtime/libc.ts";
import { type Clock, realClock } from "./clock.ts";
import { type BeatDestination, beatDestination, type Interfaces } from "./destination.ts";
import {
  type EngineConfig,
  type EngineSink,
  type LogLevel,
  type MembershipCounters,
  MembershipEngine,
} from "./engine.ts";
import { beatKeyFromSecret, RECOMMENDED_SECRET_BYTES } from "./key.ts";
import type { MembershipObserver } from "./metrics.ts";
import { isValidNodeName } from "./packet.ts";
import type { MemberChange } from "./reasons.ts";
import { SegmentEngines, type SegmentSpec } from "./segment-engines.ts";
import { lostSegments, type SegmentChannel, sameChannels, segmentPlan } from "./segments.ts";

const NOBODY: ReadonlySet<string> = new Set();

import { type OpenTransport, udpTransport } from "./transport.ts";
import type { FromWorker, ToWorker, WorkerConfig } from "./worker-protocol.ts";

/** The subset of pino's Logger we use. */
export interface MembershipLog {
  debug(fields: object, msg: string): void;
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
  error(fields: object, msg: string): void;
}

export interface MembershipOptions {
  readonly nodeName: string;
  /** The `memberlist` Secret's secretkey bytes; undefined = unauthenticated (a warning is logged). */
  readonly key: Uint8Array | undefined;
  /** The node's IP on the segment (METALLB_ML_BIND_ADDR). */
  readonly bindAddress: string;
  /** UDP port (default 7946, METALLB_ML_BIND_PORT). */
  readonly port?: number;
  /**
   * Default: derived from the interface holding bindAddress (IPv4: its subnet broadcast; IPv6:
   * ff02::1 on that interface). Or an IPv4 broadcast / multicast group, or an ff02:: group.
   */
  readonly broadcastAddress?: string;
  /** Beat interval (default 100 ms). */
  readonly intervalMs?: number;
  /** Silence after which a peer is dead (default 400 ms = 4 intervals). */
  readonly deadAfterMs?: number;
  /** First members$ emission after this much time (default deadAfterMs). */
  readonly warmUpMs?: number;
  /** Steady beating before a departed peer counts again (default deadAfterMs; doubles when it flaps). */
  readonly holdDownMs?: number;
  /** Leaving beats sent by leave() (default 3, 10 ms apart). */
  readonly leavingCopies?: number;
  readonly leavingSpacingMs?: number;
  readonly log?: MembershipLog;
  readonly metrics?: MembershipObserver;
  /** Inline only: the clock (default the real one). */
  readonly clock?: Clock;
  /** Inline only: the transport (default UDP on the derived destination). */
  readonly transport?: OpenTransport;
  /** The machine's interfaces (default os.networkInterfaces()). */
  readonly interfaces?: () => Interfaces;
  /** Default "worker", or "inline" when a clock or transport is injected. */
  readonly thread?: "worker" | "inline";
}

/** A membership change as the speaker sees it: the new set and what changed. */
export interface MembershipUpdate {
  readonly members: ReadonlySet<string>;
  readonly changes: readonly MemberChange[];
}

/** The live members heard on one of the other announcing segments (segments.ts), once warmed up. */
export interface SegmentMembers {
  readonly ifname: string;
  /** The interface's subnets: the Service IPs this liveness elects. */
  readonly prefixes: readonly string[];
  readonly members: ReadonlySet<string>;
}

export const DEFAULT_PORT = 7946;
export const DEFAULT_INTERVAL_MS = 100;
export const DEFAULT_DEAD_AFTER_MS = 400;

const noLog: MembershipLog = { debug() {}, info() {}, warn() {}, error() {} };

/** Runs the engine somewhere (inline or in a Worker) and relays what it reports. */
interface EngineHost {
  start(): Promise<void>;
  segments(specs: readonly SegmentSpec[]): Promise<void>;
  leave(): Promise<void>;
  stop(): Promise<void>;
  counters(): Promise<MembershipCounters>;
}

export class Membership {
  /** Live members including self: after a warm-up of warmUpMs, then on every change. Replays the latest. */
  readonly members$: Observable<ReadonlySet<string>>;
  /** Every change with the new set (the first emission, after the warm-up, has no changes). */
  readonly changes$: Observable<MembershipUpdate>;
  /**
   * The other announcing segments' live members, in interface order: a segment appears once its
   * own warm-up is over and leaves when it closes. Starts empty.
   */
  readonly segments$: Observable<readonly SegmentMembers[]>;
  private readonly membersSubject = new ReplaySubject<ReadonlySet<string>>(1);
  private readonly segmentsSubject = new BehaviorSubject<readonly SegmentMembers[]>([]);
  private readonly segmentMembers = new Map<string, ReadonlySet<string>>();
  private channels: readonly SegmentChannel[] = [];
  /** Segments whose interface went down while beating there (lostSegments): heard by nobody here. */
  private lost: ReadonlyMap<string, readonly string[]> = new Map();
  private skippedKey = "";
  /** The announcing interfaces last given, applied at start when given before. */
  private announcing: readonly string[] = [];
  /** Segment changes run one after the other. */
  private segmentsApplied: Promise<void> = Promise.resolve();
  private readonly changesSubject = new Subject<MembershipUpdate>();
  private readonly config: EngineConfig;
  private readonly log: MembershipLog;
  private host: EngineHost | undefined;
  private stopping: Promise<void> | undefined;

  constructor(private readonly opts: MembershipOptions) {
    if (!isValidNodeName(opts.nodeName)) throw new Error(`membership: invalid node name ${opts.nodeName}`);
    const intervalMs = opts.intervalMs ?? DEFAULT_INTERVAL_MS;
    const deadAfterMs = opts.deadAfterMs ?? DEFAULT_DEAD_AFTER_MS;
    if (!Number.isInteger(intervalMs) || intervalMs < 1 || intervalMs > 0xffff) {
      throw new Error("membership: intervalMs must be an integer in 1..65535");
    }
    if (!(deadAfterMs > intervalMs))
      throw new Error("membership: deadAfterMs must be greater than intervalMs");
    this.log = opts.log ?? noLog;
    if (opts.key && opts.key.length < RECOMMENDED_SECRET_BYTES) {
      this.log.warn({ op: "membership", bytes: opts.key.length }, "membership secret key is short");
    }
    this.config = {
      nodeName: opts.nodeName,
      key: opts.key ? beatKeyFromSecret(opts.key) : undefined,
      intervalMs,
      deadAfterMs,
      warmUpMs: opts.warmUpMs ?? deadAfterMs,
      holdDownMs: opts.holdDownMs ?? deadAfterMs,
      leavingCopies: opts.leavingCopies ?? 3,
      leavingSpacingMs: opts.leavingSpacingMs ?? 10,
    };
    this.members$ = this.membersSubject.asObservable();
    this.changes$ = this.changesSubject.asObservable();
    this.segments$ = this.segmentsSubject.asObservable();
  }

  /** Opens the sockets and starts beating; rejects when the sockets cannot be opened. */
  async start(): Promise<void> {
    if (this.host) throw new Error("membership: start() called twice");
    const sink = this.sink();
    const inline =
      (this.opts.thread ?? (this.opts.clock || this.opts.transport ? "inline" : "worker")) === "inline";
    if (inline) {
      this.host = this.inlineHost(sink);
    } else {
      if (this.opts.clock || this.opts.transport) {
        throw new Error('membership: an injected clock or transport needs thread: "inline"');
      }
      this.host = new WorkerHost(this.workerConfig(), sink, (ifname, members) =>
        this.segmentChanged(ifname, members),
      );
    }
    try {
      await this.host.start();
    } catch (error) {
      await this.host.stop();
      if (inline || !String((error as Error).message).startsWith(WORKER_FAILED)) throw error;
      // The Worker's code could not be loaded (e.g. an executable built without it): beat from the
      // main thread rather than not at all.
      this.log.error(
        { op: "membership", error: (error as Error).message },
        "membership worker unavailable; running on the main thread (stalls of this thread can cause false deaths)",
      );
      this.host = this.inlineHost(sink);
      await this.host.start();
    }
    this.setAnnouncing(this.announcing);
  }

  /**
   * The interfaces the Layer 2 announcer answers on: beats go to each one's segment too (the bind
   * address's interface aside), so a VIP there is given to nodes heard there.
   */
  setAnnouncing(interfaces: readonly string[]): void {
    this.announcing = interfaces;
    if (this.host === undefined || this.stopping !== undefined) return;
    if (interfaces.length === 0 && this.channels.length === 0) return;
    const host = this.host;
    const machine = (this.opts.interfaces ?? networkInterfaces)() as Interfaces;
    const main = beatDestination(this.opts.bindAddress, machine, this.opts.broadcastAddress);
    // Beating on the bind address's segment needs it; without it there are no other segments either.
    const plan = main.ok
      ? segmentPlan(interfaces, machine, main.destination.ifname)
      : { channels: [], skipped: [] };
    const skippedKey = JSON.stringify(plan.skipped);
    if (skippedKey !== this.skippedKey) {
      this.skippedKey = skippedKey;
      for (const s of plan.skipped) {
        this.log.warn(
          { op: "membership", segment: s.ifname, why: s.why },
          "no beats on an announcing interface: its IPs are elected by the bind address's segment",
        );
      }
    }
    const lost = lostSegments(this.channels, plan.channels, machine, this.lost);
    if (lost.size !== this.lost.size) {
      for (const ifname of lost.keys()) {
        if (!this.lost.has(ifname))
          this.log.warn(
            { op: "membership", segment: ifname },
            "announcing interface went down: this node claims none of its segment's IPs until it is back",
          );
      }
      this.lost = lost;
      this.publishSegments();
    }
    if (sameChannels(plan.channels, this.channels)) return;
    this.channels = plan.channels;
    const specs = plan.channels.map((c) => ({ ifname: c.ifname, destination: c.destination }));
    this.segmentsApplied = this.segmentsApplied
      .then(() => host.segments(specs))
      .catch((error: unknown) =>
        this.log.warn({ op: "membership", error: String(error) }, "cannot change the beating segments"),
      );
  }

  /** Tells the peers we are leaving (a few copies) and stops beating alive; members$ keeps running. */
  leave(): Promise<void> {
    return this.host?.leave() ?? Promise.resolve();
  }

  /** Closes the sockets, clears the timers (and ends the Worker); completes the observables. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.host?.stop();
      this.membersSubject.complete();
      this.changesSubject.complete();
      this.segmentsSubject.complete();
    })();
    return this.stopping;
  }

  /** Counters so far (packets by kind, drops by reason, joins, departures, stalls, gaps). */
  counters(): Promise<MembershipCounters> {
    if (!this.host) return Promise.reject(new Error("membership: not started"));
    return this.host.counters();
  }

  /** A segment's members (undefined: closed). */
  private segmentChanged(ifname: string, members: ReadonlySet<string> | undefined): void {
    if (members === undefined) this.segmentMembers.delete(ifname);
    else this.segmentMembers.set(ifname, members);
    if (members !== undefined && this.lost.has(ifname)) {
      const lost = new Map(this.lost);
      lost.delete(ifname);
      this.lost = lost;
    }
    this.publishSegments();
  }

  /** Warmed, still planned segments with whom they hear, and lost ones hearing nobody, by interface. */
  private publishSegments(): void {
    const list: SegmentMembers[] = [];
    for (const channel of this.channels) {
      const heard = this.segmentMembers.get(channel.ifname);
      if (heard !== undefined)
        list.push({ ifname: channel.ifname, prefixes: channel.prefixes, members: heard });
    }
    for (const [ifname, prefixes] of this.lost) {
      if (!list.some((s) => s.ifname === ifname)) list.push({ ifname, prefixes, members: NOBODY });
    }
    list.sort((a, b) => (a.ifname < b.ifname ? -1 : a.ifname > b.ifname ? 1 : 0));
    this.segmentsSubject.next(list);
  }

  private destination(): BeatDestination {
    const interfaces = (this.opts.interfaces ?? networkInterfaces)() as Interfaces;
    const result = beatDestination(this.opts.bindAddress, interfaces, this.opts.broadcastAddress);
    if (!result.ok) throw new Error(`membership: ${result.error}`);
    return result.destination;
  }

  private workerConfig(): WorkerConfig {
    return { engine: this.config, destination: this.destination(), port: this.opts.port ?? DEFAULT_PORT };
  }

  private inlineHost(sink: EngineSink): EngineHost {
    const open = this.opts.transport ?? udpTransport(this.destination(), this.opts.port ?? DEFAULT_PORT);
    const clock = this.opts.clock ?? realClock;
    const engine = new MembershipEngine(this.config, clock, open, sink);
    const port = this.opts.port ?? DEFAULT_PORT;
    const segments = new SegmentEngines(
      (destination, segmentSink) =>
        new MembershipEngine(this.config, clock, udpTransport(destination, port), segmentSink),
      { sink, members: (ifname, members) => this.segmentChanged(ifname, members) },
    );
    return {
      start: () => engine.start(),
      segments: (specs) => segments.set(specs),
      leave: async () => {
        await Promise.all([engine.leave(), segments.leave()]);
      },
      stop: async () => {
        segments.stop();
        engine.stop();
      },
      counters: async () => engine.counters(),
    };
  }

  private sink(): EngineSink {
    const metrics = this.opts.metrics;
    return {
      members: (members, changes) => {
        metrics?.changed(members, changes);
        this.membersSubject.next(members);
        this.changesSubject.next({ members, changes });
      },
      log: (level: LogLevel, fields, msg) => this.log[level](fields, msg),
      sent: (kind, ok) => metrics?.sent(kind, ok),
      accepted: (kind, gapMs) => metrics?.accepted(kind, gapMs),
      dropped: (reason) => metrics?.dropped(reason),
      stalled: (lateMs) => metrics?.stalled(lateMs),
    };
  }
}

/**
 * Where the Worker's code is, wherever this module runs from (measured with Bun 1.4.5):
 * - from source: worker.ts beside this file;
 * - from the image's bundle (deploy/build.ts): this module is inlined into main.js, and the worker
 *   is the second entry point, at membership/worker.js beside it;
 * - from a `bun build --compile` executable: entry points are stored relative to their common
 *   directory, so listing operator/src/membership/worker.ts after operator/src/main.ts puts it at
 *   membership/worker.ts beside the bundled main.
 */
function workerUrl(here: string): string {
  if (here.startsWith("file:///$bunfs/")) return new URL("./membership/worker.ts", here).href;
  if (here.endsWith(".js")) return new URL("./membership/worker.js", here).href;
  return new URL("./worker.ts", here).href;
}

const WORKER_URL = workerUrl(import.meta.url);

const WORKER_FAILED = "membership worker failed";

/** The engine in a Worker; messages per worker-protocol.ts. */
class WorkerHost implements EngineHost {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, (message: FromWorker) => void>();
  private nextId = 1;
  private ended: Promise<void> | undefined;
  private dead: Error | undefined;
  private readonly posted = new Int32Array(new SharedArrayBuffer(4));
  /** The Worker's wake eventfd, from its "started" reply. */
  private wakeFd: number | undefined;
  private stopSent = false;

  constructor(
    private readonly config: WorkerConfig,
    private readonly sink: EngineSink,
    private readonly segmentChanged: (ifname: string, members: ReadonlySet<string> | undefined) => void,
  ) {
    this.worker = new Worker(WORKER_URL);
    this.worker.onmessage = (event: MessageEvent<FromWorker>) => this.onMessage(event.data);
    this.worker.onerror = (event) => {
      this.dead = new Error(`${WORKER_FAILED}: ${event.message}`);
      this.wakeFd = undefined;
      this.sink.log("error", { op: "membership", error: event.message }, "membership worker failed");
      for (const resolve of this.waiting.values())
        resolve({ type: "error", id: 0, error: this.dead.message });
      this.waiting.clear();
    };
  }

  private request(message: ToWorker & { id: number }): Promise<FromWorker> {
    if (this.dead) return Promise.reject(this.dead);
    if (this.stopSent) return Promise.reject(new Error("membership: stopped"));
    return new Promise((resolve) => {
      this.waiting.set(message.id, resolve);
      if (message.type !== "start") this.wake();
      if (message.type === "stop") this.stopSent = true;
      this.worker.postMessage(message);
    });
  }

  /**
   * Counts the next message and wakes the Worker's poll loop, before the message is posted: the
   * Worker closes the eventfd when it handles "stop", so the write must come first (poll-loop.ts).
   */
  private wake(): void {
    Atomics.add(this.posted, 0, 1);
    if (this.wakeFd === undefined) return;
    const error = signalEventFd(this.wakeFd);
    if (error !== undefined)
      this.sink.log("warn", { op: "membership", error }, "cannot wake the membership worker");
  }

  private onMessage(message: FromWorker): void {
    switch (message.type) {
      case "members":
        this.sink.members(new Set(message.members), message.changes);
        return;
      case "segmentMembers":
        this.segmentChanged(
          message.ifname,
          message.members === undefined ? undefined : new Set(message.members),
        );
        return;
      case "log":
        this.sink.log(message.level, message.fields, message.msg);
        return;
      case "observed": {
        const b = message.batch;
        for (let i = 0; i < b.sentAlive; i += 1) this.sink.sent("alive", true);
        for (let i = 0; i < b.sentLeaving; i += 1) this.sink.sent("leaving", true);
        for (let i = 0; i < b.sendFailures; i += 1) this.sink.sent("alive", false);
        for (let i = 0; i < b.acceptedLeaving; i += 1) this.sink.accepted("leaving", undefined);
        for (let i = 0; i < b.acceptedAliveWithoutGap; i += 1) this.sink.accepted("alive", undefined);
        for (const gap of b.gapsMs) this.sink.accepted("alive", gap);
        for (const [reason, n] of b.dropped) for (let i = 0; i < n; i += 1) this.sink.dropped(reason);
        for (const late of b.stallsMs) this.sink.stalled(late);
        return;
      }
      default: {
        const resolve = this.waiting.get(message.id);
        this.waiting.delete(message.id);
        resolve?.(message);
      }
    }
  }

  async start(): Promise<void> {
    const reply = await this.request({
      type: "start",
      id: this.nextId++,
      config: this.config,
      posted: this.posted.buffer as SharedArrayBuffer,
    });
    if (reply.type === "error") throw new Error(reply.error);
    if (reply.type === "started") this.wakeFd = reply.wakeFd;
  }

  async segments(segments: readonly SegmentSpec[]): Promise<void> {
    const reply = await this.request({ type: "segments", id: this.nextId++, segments });
    if (reply.type === "error") throw new Error(reply.error);
  }

  async leave(): Promise<void> {
    const reply = await this.request({ type: "leave", id: this.nextId++ });
    if (reply.type === "error") throw new Error(reply.error);
  }

  async counters(): Promise<MembershipCounters> {
    const reply = await this.request({ type: "counters", id: this.nextId++ });
    if (reply.type === "counters") return reply.counters;
    throw new Error(reply.type === "error" ? reply.error : `unexpected reply ${reply.type}`);
  }

  stop(): Promise<void> {
    this.ended ??= (async () => {
      if (!this.dead && !this.stopSent) {
        await Promise.race([this.request({ type: "stop", id: this.nextId++ }), Bun.sleep(2000)]);
      }
      this.worker.terminate();
    })();
    return this.ended;
  }
}
