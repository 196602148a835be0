/**
 * The failure detector: who is alive, from authenticated beats and the passing of time. Pure logic
 * on an injected clock (every method takes `now`, monotonic milliseconds); no I/O, no timers.
 *
 * The idea is VRRP's (RFC 5798 §6.4: a backup takes over after Master_Down_Interval, about 3
 * advertisement intervals without one) applied to every node at once, as in SWIM's "heartbeat"
 * baseline (Das, Gupta, Motivala 2002): each node beats every intervalMs; a peer silent for
 * deadAfterMs is dead. Our own design on top of it:
 *
 *   peer:  (unknown) --first alive beat--> ALIVE --silent >= deadline--> DEAD
 *                                          ALIVE --leaving beat-------> LEFT
 *          DEAD/LEFT --beats without a gap > deadline, for the hold-down--> ALIVE
 *
 * - Replay window: per peer the highest (incarnation, sequence) accepted. Same incarnation and a
 *   sequence not above it: "replayed". A lower incarnation: "staleIncarnation", unless the peer has
 *   been silent for incarnationResetAfterMs (a restart whose wall clock went backwards).
 * - Flap guard: a peer that was declared dead comes back only after beating steadily for a hold-down;
 *   within flapWindowMs every further death of the same incarnation doubles it (up to maxHoldDownMs).
 *   A new incarnation (a restarted speaker) gets the base hold-down and a clean flap history. When
 *   every peer vanishes within one deadline (our own link died), those deaths are not held against
 *   them.
 * - Stall guard: if our own loop was stalled (the tick came late by more than stallToleranceMs), the
 *   beats that arrived meanwhile still sit unread in the socket: nobody is declared dead until
 *   graceMs after the stall, so they are read first.
 * - A peer's deadline scales with the interval it advertises when that is slower than ours.
 */
import type { Beat } from "./packet.ts";
import type { DepartReason, DropReason, JoinReason, MemberChange } from "./reasons.ts";

export interface DetectorOptions {
  readonly self: string;
  /** Our beat interval: the tick period the stall guard expects. */
  readonly intervalMs: number;
  /** Silence after which a peer beating at intervalMs is dead. */
  readonly deadAfterMs: number;
  /** Steady beating needed before a dead or departed peer is a member again (default deadAfterMs). */
  readonly holdDownMs?: number;
  /** Cap of the doubled hold-down (default 10 s). */
  readonly maxHoldDownMs?: number;
  /** Deaths older than this no longer lengthen the hold-down (default 60 s). */
  readonly flapWindowMs?: number;
  /** A lower incarnation is accepted after this much silence (default 60 s). */
  readonly incarnationResetAfterMs?: number;
  /** Peers remembered (live ones plus replay state of departed ones; default 4096). */
  readonly maxPeers?: number;
  /** A tick later than intervalMs + this means our loop stalled (default intervalMs). */
  readonly stallToleranceMs?: number;
  /** After a stall, nobody dies before this much time has passed (default intervalMs). */
  readonly graceMs?: number;
}

type PeerState = "alive" | "dead" | "left";

interface Peer {
  readonly node: string;
  incarnation: number;
  seq: number;
  intervalMs: number;
  state: PeerState;
  /** When the last accepted packet arrived. */
  lastHeardAt: number;
  /** When it stopped being a member (dead or left). */
  downSince: number;
  /** Not a member: start of the current unbroken run of beats, and the hold-down that run needs. */
  runStartAt: number | undefined;
  runHoldMs: number;
  runIsRestart: boolean;
  /** Times of timeouts within the flap window. */
  deaths: number[];
}

/** The outcome of one decoded beat. */
export type HeardOutcome =
  | {
      readonly accepted: true;
      /** The membership change it caused, if any. */
      readonly change: MemberChange | undefined;
      /** Time since the previous beat of the same live incarnation (for the gap histogram). */
      readonly gapMs: number | undefined;
    }
  | { readonly accepted: false; readonly reason: DropReason };

export interface Stall {
  readonly at: number;
  /** How late the loop was beyond intervalMs. */
  readonly lateMs: number;
}

export class FailureDetector {
  private readonly peers = new Map<string, Peer>();
  private readonly holdDownMs: number;
  private readonly maxHoldDownMs: number;
  private readonly flapWindowMs: number;
  private readonly incarnationResetAfterMs: number;
  private readonly maxPeers: number;
  private readonly stallToleranceMs: number;
  private readonly graceMs: number;
  private lastTickAt: number | undefined;
  private graceUntil = Number.NEGATIVE_INFINITY;
  private readonly stallLog: Stall[] = [];

  constructor(private readonly opts: DetectorOptions) {
    if (!(opts.intervalMs > 0) || !(opts.deadAfterMs > opts.intervalMs)) {
      throw new Error("membership: deadAfterMs must be greater than intervalMs > 0");
    }
    this.holdDownMs = opts.holdDownMs ?? opts.deadAfterMs;
    this.maxHoldDownMs = Math.max(opts.maxHoldDownMs ?? 10_000, this.holdDownMs);
    this.flapWindowMs = opts.flapWindowMs ?? 60_000;
    this.incarnationResetAfterMs = opts.incarnationResetAfterMs ?? 60_000;
    this.maxPeers = opts.maxPeers ?? 4096;
    this.stallToleranceMs = opts.stallToleranceMs ?? opts.intervalMs;
    this.graceMs = opts.graceMs ?? opts.intervalMs;
  }

  /** Live members, self included, sorted. */
  members(): ReadonlySet<string> {
    const alive = [this.opts.self];
    for (const p of this.peers.values()) if (p.state === "alive") alive.push(p.node);
    return new Set(alive.sort());
  }

  /** Silence after which this peer counts as dead. */
  private deadlineOf(p: Peer): number {
    return Math.max(this.opts.deadAfterMs, (this.opts.deadAfterMs * p.intervalMs) / this.opts.intervalMs);
  }

  /** A decoded, authenticated beat arrived at `now`. */
  heard(beat: Beat, now: number): HeardOutcome {
    if (beat.node === this.opts.self) return { accepted: false, reason: "self" };
    const known = this.peers.get(beat.node);
    if (!known) return this.heardNew(beat, now);
    if (beat.incarnation < known.incarnation) {
      const silentFor = now - known.lastHeardAt;
      if (known.state === "alive" || silentFor < this.incarnationResetAfterMs) {
        return { accepted: false, reason: "staleIncarnation" };
      }
    } else if (beat.incarnation === known.incarnation && beat.seq <= known.seq) {
      return { accepted: false, reason: "replayed" };
    }
    const restarted = beat.incarnation !== known.incarnation;
    // The flap history belongs to one incarnation: a restart is damped by Kubernetes' back-off.
    if (restarted) known.deaths = [];
    const gap = Math.max(0, now - known.lastHeardAt);
    known.incarnation = beat.incarnation;
    known.seq = beat.seq;
    known.intervalMs = beat.intervalMs;
    known.lastHeardAt = Math.max(known.lastHeardAt, now);
    if (beat.kind === "leaving")
      return { accepted: true, change: this.depart(known, "left", now), gapMs: undefined };
    if (known.state === "alive")
      return { accepted: true, change: undefined, gapMs: restarted ? undefined : gap };
    return { accepted: true, change: this.continueRun(known, restarted, gap, now), gapMs: undefined };
  }

  private heardNew(beat: Beat, now: number): HeardOutcome {
    if (this.peers.size >= this.maxPeers && !this.evictOneDeparted()) {
      return { accepted: false, reason: "tooManyPeers" };
    }
    const leaving = beat.kind === "leaving";
    const peer: Peer = {
      node: beat.node,
      incarnation: beat.incarnation,
      seq: beat.seq,
      intervalMs: beat.intervalMs,
      state: leaving ? "left" : "alive",
      lastHeardAt: now,
      downSince: now,
      runStartAt: undefined,
      runHoldMs: this.holdDownMs,
      runIsRestart: false,
      deaths: [],
    };
    this.peers.set(beat.node, peer);
    const change: MemberChange | undefined = leaving
      ? undefined
      : { node: beat.node, change: "joined", reason: "firstBeat", at: now };
    return { accepted: true, change, gapMs: undefined };
  }

  /** Drops the replay state of the peer that has been down longest; false when every peer is alive. */
  private evictOneDeparted(): boolean {
    let oldest: Peer | undefined;
    for (const p of this.peers.values()) {
      if (p.state !== "alive" && (!oldest || p.downSince < oldest.downSince)) oldest = p;
    }
    if (!oldest) return false;
    this.peers.delete(oldest.node);
    return true;
  }

  /** A beat from a peer that is not a member: extend or restart its run; admit it after the hold-down. */
  private continueRun(p: Peer, restarted: boolean, gap: number, now: number): MemberChange | undefined {
    if (restarted || p.runStartAt === undefined || gap >= this.deadlineOf(p)) {
      p.runStartAt = now;
      p.runIsRestart = restarted;
      p.runHoldMs = restarted ? this.holdDownMs : this.revivalHoldDown(p, now);
    }
    if (now - p.runStartAt < p.runHoldMs) return undefined;
    const reason: JoinReason = p.runIsRestart ? "restarted" : "revived";
    p.state = "alive";
    p.runStartAt = undefined;
    return { node: p.node, change: "joined", reason, at: now };
  }

  /** The hold-down for a same-incarnation comeback: doubled for every recent death after the first. */
  private revivalHoldDown(p: Peer, now: number): number {
    const recent = p.deaths.filter((t) => now - t < this.flapWindowMs).length;
    return Math.min(this.maxHoldDownMs, this.holdDownMs * 2 ** Math.max(0, recent - 1));
  }

  private depart(p: Peer, reason: DepartReason, now: number): MemberChange | undefined {
    const wasMember = p.state === "alive";
    p.state = reason === "left" ? "left" : "dead";
    p.runStartAt = undefined;
    if (!wasMember) return undefined;
    p.downSince = now;
    if (reason === "timeout") {
      p.deaths = p.deaths.filter((t) => now - t < this.flapWindowMs);
      p.deaths.push(now);
    }
    return { node: p.node, change: "departed", reason, at: now };
  }

  /** Notes a stall when our loop shows up late; returns it. */
  private noteLoop(now: number): Stall | undefined {
    if (this.lastTickAt === undefined) return undefined;
    const lateMs = now - this.lastTickAt - this.opts.intervalMs;
    if (lateMs <= this.stallToleranceMs) return undefined;
    this.graceUntil = Math.max(this.graceUntil, now + this.graceMs);
    const stall = { at: now, lateMs };
    this.lastTickAt = now;
    this.stallLog.push(stall);
    if (this.stallLog.length > 100) this.stallLog.shift();
    return stall;
  }

  /** Our periodic tick (when we send a beat). Returns the stall it revealed, if any. */
  tick(now: number): Stall | undefined {
    const stall = this.noteLoop(now);
    this.lastTickAt = now;
    return stall;
  }

  /** Declares dead every live peer silent past its deadline (unless within a stall's grace). */
  expire(now: number): MemberChange[] {
    this.noteLoop(now);
    if (now < this.graceUntil) return [];
    const changes: MemberChange[] = [];
    for (const p of this.peers.values()) {
      if (p.state === "alive" && now - p.lastHeardAt >= this.deadlineOf(p)) {
        const change = this.depart(p, "timeout", now);
        if (change) changes.push(change);
      }
    }
    if (changes.length > 0) this.forgiveBlackout(now);
    return changes.sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
  }

  /**
   * When the last live peer just died and at least two died within one deadline, everyone
   * vanished at once: far likelier our own link or switch port than that many peers flapping. Those
   * deaths do not count against the peers' hold-downs (they come back with the base hold-down).
   */
  private forgiveBlackout(now: number): void {
    for (const p of this.peers.values()) if (p.state === "alive") return;
    const recent = (p: Peer) =>
      p.deaths.length > 0 && now - p.deaths[p.deaths.length - 1]! < this.opts.deadAfterMs;
    const vanished = [...this.peers.values()].filter(recent);
    if (vanished.length < 2) return;
    for (const p of vanished) p.deaths.pop();
  }

  /** When expire() next has something to decide (undefined: no live peer). */
  nextDeadline(): number | undefined {
    let soonest: number | undefined;
    for (const p of this.peers.values()) {
      if (p.state !== "alive") continue;
      const due = p.lastHeardAt + this.deadlineOf(p);
      if (soonest === undefined || due < soonest) soonest = due;
    }
    return soonest === undefined ? undefined : Math.max(soonest, this.graceUntil);
  }

  /** Recent stalls of our own loop, oldest first (at most 100). */
  stalls(): readonly Stall[] {
    return this.stallLog;
  }

  /** What we know of one peer (tests, reports). */
  peer(node: string): Readonly<{ state: PeerState; incarnation: number; seq: number }> | undefined {
    const p = this.peers.get(node);
    return p && { state: p.state, incarnation: p.incarnation, seq: p.seq };
  }

  peerCount(): number {
    return this.peers.size;
  }
}
