/**
 * One BFD session's state machine and timers (RFC 5880 §6.2, §6.8), asynchronous mode, no echo,
 * no demand. No I/O and no clock of its own: the caller passes `now` (ms) and a random source, sends
 * what `receive` and `tick` return, and calls `tick` again at `nextDeadline()`.
 *
 *   state \ event | rx AdminDown | rx Down  | rx Init | rx Up | detection time expires
 *   Down          | Down         | Init     | Up      | Down  | -
 *   Init          | Down (3)     | Init     | Up      | Up    | Down (1)
 *   Up            | Down (3)     | Down (3) | Up      | Up    | Down (1)
 *
 * (rx X: a packet whose State field is X; in parentheses the diagnostic we then send).
 *
 * Timers: while not Up the advertised Desired Min TX is at least 1 s (§6.8.3); reaching Up lowers
 * it to the profile's, which is a change announced by a Poll Sequence (P set until a packet with F
 * arrives). While Up, a larger TX interval or a smaller RX one applies only once the Final
 * arrives; the other directions, and every change while not Up, apply at once. Transmission: every max(our Desired Min TX, their Required Min
 * RX), less 0-25 % jitter (10-25 % when Detect Mult is 1), never while their Required Min RX is 0
 * and, in passive mode, not before they spoke. Detection time: their Detect Mult times the larger
 * of our Required Min RX and their Desired Min TX.
 */
import { type BfdState, type ControlPacket, DIAG } from "./packet.ts";

export interface BfdTimers {
  readonly desiredMinTxUs: number;
  readonly requiredMinRxUs: number;
  readonly detectMult: number;
  /** Send nothing until the peer's first packet (MetalLB's BFDProfile passiveMode). */
  readonly passive: boolean;
}

export interface BfdStateChange {
  readonly from: BfdState;
  readonly to: BfdState;
  /** Our diagnostic after the change (RFC 5880 §4.1). */
  readonly diag: number;
  /** The peer's diagnostic in the packet that caused it, if a packet did. */
  readonly remoteDiag?: number;
}

/** Why a received packet did nothing (§6.8.6), for counters and debugging. */
export type BfdIgnoreReason = "zeroYourDiscriminatorWhileUp" | "wrongYourDiscriminator" | "adminDown";

const SLOW_TX_US = 1_000_000;

export class BfdMachine {
  state: BfdState = "Down";
  remoteState: BfdState = "Down";
  remoteDiscriminator = 0;
  diag: number = DIAG.none;
  private remoteMinRxUs = 1;
  private remoteDesiredMinTxUs = 0;
  private remoteDetectMult = 0;
  /** What our packets carry. */
  private advertisedTxUs: number;
  private advertisedRxUs: number;
  /** What our timers use: differs from the advertised values during a Poll Sequence. */
  private txUs: number;
  private rxUs: number;
  private polling = false;
  private heardFrom = false;
  private nextTxAt: number | undefined;
  private detectAt: number | undefined;
  private readonly changes: BfdStateChange[] = [];

  constructor(
    readonly localDiscriminator: number,
    private timers: BfdTimers,
    now: number,
    private readonly random: () => number = Math.random,
  ) {
    this.advertisedTxUs = Math.max(timers.desiredMinTxUs, SLOW_TX_US);
    this.advertisedRxUs = timers.requiredMinRxUs;
    this.txUs = this.advertisedTxUs;
    this.rxUs = this.advertisedRxUs;
    if (!timers.passive) this.nextTxAt = now;
  }

  /** The packet to send now, as the machine stands (P while polling, F when owed). */
  packet(final = false): ControlPacket {
    return {
      diag: this.diag,
      state: this.state,
      poll: this.polling && !final,
      final,
      // A userspace BFD shares fate with its control plane (RFC 5880 §4.1).
      controlPlaneIndependent: false,
      demand: false,
      detectMult: this.timers.detectMult,
      myDiscriminator: this.localDiscriminator,
      yourDiscriminator: this.remoteDiscriminator,
      desiredMinTxUs: this.advertisedTxUs,
      requiredMinRxUs: this.advertisedRxUs,
      requiredMinEchoRxUs: 0,
    };
  }

  /** State changes since the last call. */
  takeChanges(): BfdStateChange[] {
    return this.changes.splice(0);
  }

  /** The earliest time (ms) the machine wants `tick` called, or undefined when it waits on packets only. */
  nextDeadline(): number | undefined {
    if (this.nextTxAt === undefined) return this.detectAt;
    if (this.detectAt === undefined) return this.nextTxAt;
    return Math.min(this.nextTxAt, this.detectAt);
  }

  /**
   * Handles a received packet already matched to this session; returns the packet to answer at
   * once (a Final to a Poll), or why it was ignored.
   */
  receive(p: ControlPacket, now: number): { reply?: ControlPacket; ignored?: BfdIgnoreReason } {
    if (p.yourDiscriminator === 0 && (p.state === "Init" || p.state === "Up")) {
      return { ignored: "zeroYourDiscriminatorWhileUp" };
    }
    if (p.yourDiscriminator !== 0 && p.yourDiscriminator !== this.localDiscriminator) {
      return { ignored: "wrongYourDiscriminator" };
    }
    if (this.state === "AdminDown") return { ignored: "adminDown" };
    this.heardFrom = true;
    this.remoteDiscriminator = p.myDiscriminator;
    this.remoteState = p.state;
    this.remoteDetectMult = p.detectMult;
    this.remoteDesiredMinTxUs = p.desiredMinTxUs;
    const remoteMinRxChanged = p.requiredMinRxUs !== this.remoteMinRxUs;
    this.remoteMinRxUs = p.requiredMinRxUs;
    if (p.final && this.polling) {
      this.polling = false;
      this.txUs = this.advertisedTxUs;
      this.rxUs = this.advertisedRxUs;
    }
    this.transition(p, now);
    this.detectAt = now + this.detectionTimeMs();
    // A peer that now accepts faster packets, or stops accepting any, changes our schedule at once.
    if (remoteMinRxChanged || this.nextTxAt === undefined) this.scheduleTx(now, true);
    if (p.poll) return { reply: this.packet(true) };
    return {};
  }

  /** Runs expired timers; returns the packet to send now, if the transmit timer fired. */
  tick(now: number): ControlPacket | undefined {
    if (this.detectAt !== undefined && now >= this.detectAt) {
      this.detectAt = undefined;
      if (this.state === "Init" || this.state === "Up") {
        this.remoteDiscriminator = 0;
        this.setState("Down", DIAG.controlDetectionTimeExpired, now);
      }
    }
    if (this.nextTxAt !== undefined && now >= this.nextTxAt) {
      this.scheduleTx(now, false);
      return this.packet();
    }
    return undefined;
  }

  /** A profile change: new values are announced with a Poll Sequence. */
  reconfigure(timers: BfdTimers, now: number): void {
    this.timers = timers;
    this.advertise(now);
  }

  /** Planned stop: AdminDown (diag 7) so the peer does not take it for a failure (RFC 5882 §3.2). */
  adminDown(now: number): ControlPacket {
    this.setState("AdminDown", DIAG.administrativelyDown, now);
    this.nextTxAt = undefined;
    this.detectAt = undefined;
    return this.packet();
  }

  private transition(p: ControlPacket, now: number): void {
    if (p.state === "AdminDown") {
      if (this.state !== "Down") this.setState("Down", DIAG.neighborSignaledSessionDown, now, p.diag);
      return;
    }
    switch (this.state) {
      case "Down":
        if (p.state === "Down") this.setState("Init", DIAG.none, now, p.diag);
        else if (p.state === "Init") this.setState("Up", DIAG.none, now, p.diag);
        break;
      case "Init":
        if (p.state === "Init" || p.state === "Up") this.setState("Up", DIAG.none, now, p.diag);
        break;
      case "Up":
        if (p.state === "Down") this.setState("Down", DIAG.neighborSignaledSessionDown, now, p.diag);
        break;
    }
  }

  private setState(to: BfdState, diag: number, now: number, remoteDiag?: number): void {
    const from = this.state;
    if (from === to) return;
    this.state = to;
    if (diag !== DIAG.none || to === "Up") this.diag = diag;
    this.changes.push(
      remoteDiag === undefined ? { from, to, diag: this.diag } : { from, to, diag: this.diag, remoteDiag },
    );
    if (to !== "AdminDown") this.advertise(now);
  }

  /** Recomputes the advertised intervals for the state; a change starts a Poll Sequence. */
  private advertise(now: number): void {
    const tx =
      this.state === "Up" ? this.timers.desiredMinTxUs : Math.max(this.timers.desiredMinTxUs, SLOW_TX_US);
    const rx = this.timers.requiredMinRxUs;
    if (tx === this.advertisedTxUs && rx === this.advertisedRxUs) return;
    this.advertisedTxUs = tx;
    this.advertisedRxUs = rx;
    this.polling = this.heardFrom;
    if (this.state !== "Up" || !this.polling) {
      this.txUs = tx;
      this.rxUs = rx;
    } else {
      // While Up, faster sending and slower receiving are safe at once; the other way waits for the Final.
      if (tx < this.txUs) this.txUs = tx;
      if (rx > this.rxUs) this.rxUs = rx;
    }
    this.scheduleTx(now, true);
  }

  private detectionTimeMs(): number {
    return (this.remoteDetectMult * Math.max(this.rxUs, this.remoteDesiredMinTxUs)) / 1000;
  }

  /** `soon`: the schedule changed, send within the new interval rather than after a whole one. */
  private scheduleTx(now: number, soon: boolean): void {
    if (this.remoteMinRxUs === 0 || (this.timers.passive && !this.heardFrom) || this.state === "AdminDown") {
      this.nextTxAt = undefined;
      return;
    }
    const intervalMs = Math.max(this.txUs, this.remoteMinRxUs) / 1000;
    const high = this.timers.detectMult === 1 ? 0.9 : 1;
    const next = now + intervalMs * (0.75 + (high - 0.75) * this.random());
    this.nextTxAt = soon && this.nextTxAt !== undefined ? Math.min(this.nextTxAt, next) : next;
  }
}
