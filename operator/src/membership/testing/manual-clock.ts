import type { Clock, TimerHandle } from "../clock.ts";

interface Pending {
  readonly due: number;
  readonly order: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/** A clock that moves only when the test says so; timers fire in due order as it passes them. */
export class ManualClock implements Clock {
  private time: number;
  private wall: number;
  private order = 0;
  private pending: Pending[] = [];

  constructor(start = 0, wallStart = 1_764_000_000_000) {
    this.time = start;
    this.wall = wallStart;
  }

  now(): number {
    return this.time;
  }

  wallNow(): number {
    return this.wall + this.time;
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const entry: Pending = { due: this.time + Math.max(0, ms), order: this.order++, fn, cancelled: false };
    this.pending.push(entry);
    return {
      cancel: () => {
        entry.cancelled = true;
      },
    };
  }

  /** Moves time forward by ms, firing every timer due on the way (timers they set fire too). */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      this.pending = this.pending.filter((p) => !p.cancelled);
      const next = this.pending
        .filter((p) => p.due <= end)
        .sort((a, b) => a.due - b.due || a.order - b.order)[0];
      if (!next) break;
      this.pending = this.pending.filter((p) => p !== next);
      this.time = Math.max(this.time, next.due);
      next.fn();
    }
    this.time = end;
  }

  /** Moves time forward without firing anything (the loop was stalled), then fires what is due. */
  stall(ms: number): void {
    this.time += ms;
    this.advance(0);
  }

  /** Timers not yet fired or cancelled. */
  pendingCount(): number {
    return this.pending.filter((p) => !p.cancelled).length;
  }
}
