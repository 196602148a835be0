/**
 * Routes first: after the speaker hands its BGP sessions a burst of route changes, its reporting
 * writes (status objects, Events) hold for a moment in proportion to the burst, so that the
 * apiserver requests they make (for 10k Services: 10k ServiceBGPStatus objects created and their
 * status set, 10k Events) do not compete with the routers taking the routes in. Nothing is lost:
 * the writers keep what is wanted and start it when the hold ends. A handful of changes (a Service
 * created) holds nothing; a hold never lasts longer than `maxMs` from its start, however many
 * bursts follow. Why and what it gives: docs/bgp.md, "Routes first".
 */
import { realTimers, type Timers } from "./keyed-writer.ts";

/** A writer that can hold its new writes (KeyedWriter.pause, EventSink.defer). */
export interface Holdable {
  pause(paused: boolean): void;
}

export interface ReportingHoldOptions {
  /** Held per changed route (default 0.05 ms: 10k routes, 500 ms). Under 1 ms in all: no hold. */
  readonly perRouteMs?: number;
  /** The longest one hold lasts (default 2000 ms). */
  readonly maxMs?: number;
  readonly timers?: Timers;
}

export class ReportingHold {
  private readonly perRouteMs: number;
  private readonly maxMs: number;
  private readonly timers: Timers;
  private startedAt: number | undefined;
  private until = 0;
  private timer: unknown;

  constructor(
    private readonly writers: readonly Holdable[],
    options: ReportingHoldOptions = {},
  ) {
    this.perRouteMs = options.perRouteMs ?? 0.05;
    this.maxMs = options.maxMs ?? 2000;
    this.timers = options.timers ?? realTimers;
  }

  get holding(): boolean {
    return this.startedAt !== undefined;
  }

  /** `routes` routes were just handed to the sessions (route-changes.ts counts them). */
  routesChanged(routes: number): void {
    const ms = Math.min(this.maxMs, routes * this.perRouteMs);
    if (ms < 1) return;
    const now = this.timers.now();
    if (this.startedAt === undefined) {
      this.startedAt = now;
      for (const writer of this.writers) writer.pause(true);
    }
    const until = Math.min(this.startedAt + this.maxMs, Math.max(this.until, now + ms));
    if (until === this.until && this.timer !== undefined) return;
    this.until = until;
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = this.timers.setTimeout(() => this.release(), until - now);
  }

  /** Ends any hold now (the speaker stops: what waits is written, or given up, by the writers). */
  release(): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timer = undefined;
    this.until = 0;
    if (this.startedAt === undefined) return;
    this.startedAt = undefined;
    for (const writer of this.writers) writer.pause(false);
  }
}
