/**
 * The membership engine: the thin shell that joins the codec, the failure detector, a transport
 * and a clock. It beats every intervalMs, feeds received packets to the detector, runs one timer
 * for the soonest deadline, and reports membership after a warm-up. Runs on the main thread (unit
 * tests, `thread: "inline"`) or inside the membership Worker (worker.ts).
 */
import type { Clock, TimerHandle } from "./clock.ts";
import { FailureDetector } from "./detector.ts";
import type { BeatKey } from "./key.ts";
import { type BeatKind, decodeBeat, encodeBeat } from "./packet.ts";
import { DROP_REASONS, type DropReason, type MemberChange } from "./reasons.ts";
import type { OpenTransport, Transport } from "./transport.ts";

export interface EngineConfig {
  readonly nodeName: string;
  readonly key: BeatKey | undefined;
  readonly intervalMs: number;
  readonly deadAfterMs: number;
  /** Nothing is reported before this much time after start (so every live peer has been heard). */
  readonly warmUpMs: number;
  readonly holdDownMs: number;
  /** Copies of the leaving beat, and the spacing between them. */
  readonly leavingCopies: number;
  readonly leavingSpacingMs: number;
}

export type LogLevel = "debug" | "info" | "warn" | "error";

/** Everything the engine reports; in a Worker these are posted to the main thread. */
export interface EngineSink {
  /** After the warm-up (changes empty), then on every membership change. */
  members(members: ReadonlySet<string>, changes: readonly MemberChange[]): void;
  log(level: LogLevel, fields: Record<string, unknown>, msg: string): void;
  sent(kind: BeatKind, ok: boolean): void;
  accepted(kind: BeatKind, gapMs: number | undefined): void;
  dropped(reason: DropReason): void;
  stalled(lateMs: number): void;
}

export interface MembershipCounters {
  readonly incarnation: number;
  readonly sent: Record<BeatKind, number>;
  readonly sendFailures: number;
  readonly received: Record<BeatKind, number>;
  readonly dropped: Record<DropReason, number>;
  readonly joins: number;
  readonly departures: number;
  readonly stalls: number;
  readonly maxStallMs: number;
  /** Longest gap between two beats of one live incarnation, per peer. */
  readonly maxGapMs: Record<string, number>;
  /** Gaps between beats of live peers, counted by the first bound they do not exceed (ms; last: above). */
  readonly gapCounts: Record<GapBucket, number>;
}

export const GAP_BUCKETS = ["150", "200", "250", "300", "350", "400", "more"] as const;
export type GapBucket = (typeof GAP_BUCKETS)[number];

function gapBucketOf(ms: number): GapBucket {
  for (const b of GAP_BUCKETS) if (b === "more" || ms <= Number(b)) return b;
  return "more";
}

/** Drops worth a (rate-limited) warning: someone on the segment is wrong or hostile. */
const WARN_REASONS: ReadonlySet<DropReason> = new Set(
  DROP_REASONS.filter((r) => r !== "self" && r !== "replayed" && r !== "notHeartbeat"),
);
const WARN_EVERY_MS = 10_000;

interface MutableCounters {
  incarnation: number;
  sent: Record<BeatKind, number>;
  sendFailures: number;
  received: Record<BeatKind, number>;
  dropped: Record<DropReason, number>;
  joins: number;
  departures: number;
  stalls: number;
  maxStallMs: number;
  maxGapMs: Record<string, number>;
  gapCounts: Record<GapBucket, number>;
}

export class MembershipEngine {
  private readonly detector: FailureDetector;
  private transport: Transport | undefined;
  private incarnation = 0;
  private seq = 0;
  private nextTickAt = 0;
  private tickTimer: TimerHandle | undefined;
  private expiryTimer: TimerHandle | undefined;
  private expiryDue = Number.POSITIVE_INFINITY;
  private warmUpTimer: TimerHandle | undefined;
  private warmedUp = false;
  private leaving: Promise<void> | undefined;
  private stopped = false;
  private sendFailing = false;
  private readonly lastWarnAt = new Map<DropReason, number>();
  private readonly suppressed = new Map<DropReason, number>();
  private readonly counts: MutableCounters;

  constructor(
    private readonly config: EngineConfig,
    private readonly clock: Clock,
    private readonly openTransport: OpenTransport,
    private readonly sink: EngineSink,
  ) {
    this.detector = new FailureDetector({
      self: config.nodeName,
      intervalMs: config.intervalMs,
      deadAfterMs: config.deadAfterMs,
      holdDownMs: config.holdDownMs,
    });
    this.counts = {
      incarnation: 0,
      sent: { alive: 0, leaving: 0 },
      sendFailures: 0,
      received: { alive: 0, leaving: 0 },
      dropped: Object.fromEntries(DROP_REASONS.map((r) => [r, 0])) as Record<DropReason, number>,
      joins: 0,
      departures: 0,
      stalls: 0,
      maxStallMs: 0,
      maxGapMs: {},
      gapCounts: Object.fromEntries(GAP_BUCKETS.map((b) => [b, 0])) as Record<GapBucket, number>,
    };
  }

  async start(): Promise<void> {
    if (this.transport || this.stopped) throw new Error("membership: start() called twice");
    // Per boot: the wall clock at start, so a restarted speaker's incarnation is higher.
    this.incarnation = Math.max(1, Math.floor(this.clock.wallNow()));
    this.counts.incarnation = this.incarnation;
    this.transport = await this.openTransport((bytes) => this.onPacket(bytes));
    if (!this.config.key) {
      this.sink.log(
        "warn",
        { op: "membership" },
        "no membership secret key: heartbeats are not authenticated, anyone on the segment can forge them",
      );
    }
    this.nextTickAt = this.clock.now();
    this.tick();
    this.warmUpTimer = this.clock.setTimer(this.config.warmUpMs, () => {
      this.warmedUp = true;
      this.sink.members(this.detector.members(), []);
    });
  }

  /** Sends the leaving beats and stops beating alive; resolves when the last copy is sent. */
  leave(): Promise<void> {
    this.leaving ??= new Promise<void>((resolve) => {
      let copies = 0;
      const sendCopy = () => {
        if (this.stopped) return resolve();
        this.send("leaving");
        copies += 1;
        if (copies >= this.config.leavingCopies) return resolve();
        this.clock.setTimer(this.config.leavingSpacingMs, sendCopy);
      };
      this.sink.log("info", { op: "membership", node: this.config.nodeName }, "leaving");
      sendCopy();
    });
    return this.leaving;
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.tickTimer?.cancel();
    this.expiryTimer?.cancel();
    this.warmUpTimer?.cancel();
    this.transport?.close();
  }

  counters(): MembershipCounters {
    return structuredClone(this.counts);
  }

  private send(kind: BeatKind): void {
    if (!this.transport) return;
    this.seq += 1;
    const bytes = encodeBeat(
      {
        kind,
        node: this.config.nodeName,
        incarnation: this.incarnation,
        seq: this.seq,
        intervalMs: this.config.intervalMs,
      },
      this.config.key,
    );
    const ok = this.transport.send(bytes);
    if (ok) this.counts.sent[kind] += 1;
    else this.counts.sendFailures += 1;
    this.sink.sent(kind, ok);
    if (ok === this.sendFailing) {
      this.sendFailing = !ok;
      this.sink.log(
        ok ? "info" : "warn",
        { op: "membership" },
        ok ? "heartbeats are being sent again" : "cannot send heartbeats (link down?)",
      );
    }
  }

  private tick(): void {
    if (this.stopped) return;
    const now = this.clock.now();
    const stall = this.detector.tick(now);
    if (stall) {
      this.counts.stalls += 1;
      this.counts.maxStallMs = Math.max(this.counts.maxStallMs, stall.lateMs);
      this.sink.stalled(stall.lateMs);
      this.sink.log(
        "warn",
        { op: "membership", lateMs: Math.round(stall.lateMs) },
        "our event loop stalled: deaths deferred until queued heartbeats are read",
      );
    }
    if (!this.leaving) this.send("alive");
    this.report(this.detector.expire(now));
    this.nextTickAt += this.config.intervalMs;
    if (this.nextTickAt <= now) this.nextTickAt = now + this.config.intervalMs;
    this.tickTimer = this.clock.setTimer(this.nextTickAt - now, () => this.tick());
    this.scheduleExpiry();
  }

  private onPacket(bytes: Uint8Array): void {
    if (this.stopped) return;
    const decoded = decodeBeat(bytes, this.config.key);
    if (!decoded.ok) {
      this.drop(decoded.reason);
      return;
    }
    const outcome = this.detector.heard(decoded.beat, this.clock.now());
    if (!outcome.accepted) {
      this.drop(outcome.reason);
      return;
    }
    const { beat } = decoded;
    this.counts.received[beat.kind] += 1;
    if (outcome.gapMs !== undefined) {
      this.counts.gapCounts[gapBucketOf(outcome.gapMs)] += 1;
      if (outcome.gapMs > (this.counts.maxGapMs[beat.node] ?? 0))
        this.counts.maxGapMs[beat.node] = outcome.gapMs;
    }
    this.sink.accepted(beat.kind, outcome.gapMs);
    if (outcome.change) {
      this.report([outcome.change]);
      this.scheduleExpiry();
    } else if (this.expiryTimer === undefined) this.scheduleExpiry();
  }

  private drop(reason: DropReason): void {
    this.counts.dropped[reason] += 1;
    this.sink.dropped(reason);
    const now = this.clock.now();
    if (!WARN_REASONS.has(reason)) return;
    const last = this.lastWarnAt.get(reason);
    if (last !== undefined && now - last < WARN_EVERY_MS) {
      this.suppressed.set(reason, (this.suppressed.get(reason) ?? 0) + 1);
      return;
    }
    this.lastWarnAt.set(reason, now);
    const suppressed = this.suppressed.get(reason) ?? 0;
    this.suppressed.delete(reason);
    this.sink.log("warn", { op: "membership", reason, suppressed }, "heartbeat packet ignored");
  }

  private report(changes: readonly MemberChange[]): void {
    if (changes.length === 0) return;
    for (const c of changes) {
      if (c.change === "joined") this.counts.joins += 1;
      else this.counts.departures += 1;
      this.sink.log(
        "info",
        { op: "membership", node: c.node, change: c.change, reason: c.reason },
        `member ${c.change}`,
      );
    }
    if (this.warmedUp) this.sink.members(this.detector.members(), changes);
  }

  /** One timer, at the soonest deadline; kept when an earlier one is already set (it re-arms). */
  private scheduleExpiry(): void {
    if (this.stopped) return;
    const due = this.detector.nextDeadline();
    if (due === undefined) {
      this.expiryTimer?.cancel();
      this.expiryTimer = undefined;
      this.expiryDue = Number.POSITIVE_INFINITY;
      return;
    }
    if (this.expiryTimer && this.expiryDue <= due) return;
    this.expiryTimer?.cancel();
    this.expiryDue = due;
    this.expiryTimer = this.clock.setTimer(due - this.clock.now(), () => {
      this.expiryTimer = undefined;
      this.expiryDue = Number.POSITIVE_INFINITY;
      if (this.stopped) return;
      this.report(this.detector.expire(this.clock.now()));
      this.scheduleExpiry();
    });
  }
}
