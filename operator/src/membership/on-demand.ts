/**
 * Membership only while the speaker needs it. The Layer 2 election is its only reader, so a speaker
 * whose configuration has no L2Advertisement (a BGP-only cluster) runs no membership Worker, sends
 * no heartbeats and wakes up for none: at idle those beats were most of its CPU.
 *
 * The speaker says what it needs with setWanted (wanted at its start, before the initial list, so
 * a Layer 2 speaker beats as early as it always did; then from its first synced snapshot and after
 * every reconcile), and reads members$:
 * - nothing before the first setWanted, nor while the first membership warms up: the first
 *   reconcile waits, as it always waited for the warm-up;
 * - a running membership's live members (self included), after its warm-up;
 * - the empty set while none runs, and while one started again warms up: no member, not even
 *   this node, so it elects itself for nothing. A set without this node never means "every Node
 *   counts" (undefined would, and an election over every Node could claim an IP the speakers
 *   that already run give to another node, while they have not heard this one yet).
 *
 * Changes run one at a time, so the beat port is free before the next membership binds it. A start
 * that fails is logged and tried again at a later setWanted(true), RETRY_MS apart.
 */
import { BehaviorSubject, type Observable, ReplaySubject, type Subscription } from "rxjs";
import type { MembershipLog, SegmentMembers } from "./membership.ts";

/** What this needs of a Membership (membership.ts); a fake in tests. */
export interface StartableMembership {
  readonly members$: Observable<ReadonlySet<string>>;
  readonly segments$: Observable<readonly SegmentMembers[]>;
  setAnnouncing(interfaces: readonly string[]): void;
  start(): Promise<void>;
  leave(): Promise<void>;
  stop(): Promise<void>;
}

const RETRY_MS = 5_000;
const NO_MEMBERS: ReadonlySet<string> = new Set();
const NO_SEGMENTS: readonly SegmentMembers[] = [];

export class OnDemandMembership {
  readonly members$: Observable<ReadonlySet<string>>;
  /** The running membership's other segments (none while none runs). */
  readonly segments$: Observable<readonly SegmentMembers[]>;
  private readonly subject = new ReplaySubject<ReadonlySet<string>>(1);
  private readonly segmentsSubject = new BehaviorSubject<readonly SegmentMembers[]>(NO_SEGMENTS);
  private announcing: readonly string[] = [];
  /** What members$ said last; undefined before its first emission. */
  private last: ReadonlySet<string> | undefined;
  private wanted = false;
  private running:
    | { readonly membership: StartableMembership; readonly subscription: Subscription }
    | undefined;
  /** The change under way, if any: changes never overlap. */
  private changing: Promise<void> | undefined;
  private failedAt = Number.NEGATIVE_INFINITY;
  private stopped = false;

  constructor(
    private readonly make: () => StartableMembership,
    private readonly log: MembershipLog,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.members$ = this.subject.asObservable();
    this.segments$ = this.segmentsSubject.asObservable();
  }

  /** The interfaces the Layer 2 announcer answers on, for the running membership's segments. */
  setAnnouncing(interfaces: readonly string[]): void {
    this.announcing = interfaces;
    this.running?.membership.setAnnouncing(interfaces);
  }

  /** Whether a membership runs: a stopping speaker hands its Layer 2 IPs over only then. */
  get active(): boolean {
    return this.running !== undefined;
  }

  /** Layer 2 is configured (true) or not: starts or stops the membership, in the background. */
  setWanted(wanted: boolean): void {
    if (this.stopped) return;
    this.wanted = wanted;
    if (!wanted && this.running === undefined && this.changing === undefined) this.emit(NO_MEMBERS);
    if (this.changing !== undefined || wanted === this.active) return;
    if (wanted && this.now() - this.failedAt < RETRY_MS) return;
    const changing = this.converge().finally(() => {
      if (this.changing === changing) this.changing = undefined;
    });
    this.changing = changing;
  }

  /** Tells the peers we are leaving, if a membership runs; it keeps running until stop(). */
  async leave(): Promise<void> {
    await this.changing;
    await this.running?.membership.leave();
  }

  /** Stops for good: the running membership, if any, then members$ completes. */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.changing;
    const running = this.running;
    this.running = undefined;
    running?.subscription.unsubscribe();
    await running?.membership.stop();
    this.subject.complete();
    this.segmentsSubject.complete();
  }

  /** Starts or stops until what runs is what is wanted (or a start failed: a later call retries). */
  private async converge(): Promise<void> {
    while (!this.stopped && this.wanted !== this.active) {
      if (!this.wanted) await this.stopRunning();
      else if (!(await this.startOne())) return;
    }
  }

  private async startOne(): Promise<boolean> {
    // After the first warm-up: nobody, until the new membership's own warm-up.
    if (this.last !== undefined) this.emit(NO_MEMBERS);
    let membership: StartableMembership | undefined;
    try {
      membership = this.make();
      await membership.start();
    } catch (error) {
      this.failedAt = this.now();
      await membership?.stop().catch(() => undefined);
      this.log.error(
        { op: "membership", error: error instanceof Error ? error.message : String(error) },
        "cannot start membership: this node elects itself for no Layer 2 IP until it runs",
      );
      this.emit(NO_MEMBERS);
      return false;
    }
    const subscription = membership.members$.subscribe((members) => this.emit(members));
    subscription.add(membership.segments$.subscribe((segments) => this.emitSegments(segments)));
    membership.setAnnouncing(this.announcing);
    this.running = { membership, subscription };
    this.log.info({ op: "membership" }, "membership started: an L2Advertisement is configured");
    return true;
  }

  private async stopRunning(): Promise<void> {
    const running = this.running;
    if (running === undefined) return;
    this.running = undefined;
    running.subscription.unsubscribe();
    this.emit(NO_MEMBERS);
    this.emitSegments(NO_SEGMENTS);
    // The others drop this node at once rather than after the dead-after silence.
    await running.membership.leave().catch(() => undefined);
    await running.membership.stop();
    this.log.info({ op: "membership" }, "membership stopped: no L2Advertisement is configured");
  }

  /** Nothing for "none" after "none": each emission is a reconcile. */
  private emitSegments(segments: readonly SegmentMembers[]): void {
    if (segments.length === 0 && this.segmentsSubject.getValue().length === 0) return;
    this.segmentsSubject.next(segments);
  }

  private emit(members: ReadonlySet<string>): void {
    if (members === this.last) return;
    this.last = members;
    this.subject.next(members);
  }
}
