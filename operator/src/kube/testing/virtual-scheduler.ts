import { type SchedulerAction, type SchedulerLike, Subscription } from "rxjs";

interface Timer {
  readonly due: number;
  readonly delay: number;
  readonly run: () => void;
  readonly subscription: Subscription;
}

/**
 * A SchedulerLike on virtual time for the watcher's backoff waits and watch deadlines: nothing
 * fires until the test says so, so no test sleeps for a backoff, and every requested delay is
 * recorded. (rxjs' TestScheduler cannot drive code that awaits real I/O, which the watcher does.)
 */
export class VirtualScheduler implements SchedulerLike {
  private time = 0;
  private timers: Timer[] = [];
  /** Every delay ever requested, in order. */
  readonly requested: number[] = [];

  now(): number {
    return this.time;
  }

  schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription {
    const subscription = new Subscription(() => {
      this.timers = this.timers.filter((t) => t !== timer);
    });
    const timer: Timer = {
      due: this.time + delay,
      delay,
      run: () => work.call(subscription as unknown as SchedulerAction<T>, state),
      subscription,
    };
    this.requested.push(delay);
    this.timers.push(timer);
    return subscription;
  }

  /** Delays of the timers now pending, soonest first. */
  pending(): number[] {
    return [...this.timers].sort((a, b) => a.due - b.due).map((t) => t.delay);
  }

  /** Waits (in real time) until a timer with delay <= `maxDelay` is pending; returns its delay. */
  async waitForTimer(maxDelay = Number.POSITIVE_INFINITY, timeoutMs = 5000): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const timer = this.soonest(maxDelay);
      if (timer) return timer.delay;
      if (Date.now() > deadline) {
        throw new Error(`virtual scheduler: no timer <= ${maxDelay} ms; pending ${this.pending().join(",")}`);
      }
      await Bun.sleep(2);
    }
  }

  /** Jumps to the soonest timer with delay <= `maxDelay` and runs it; returns its delay. */
  async fireNext(maxDelay = Number.POSITIVE_INFINITY): Promise<number> {
    await this.waitForTimer(maxDelay);
    const timer = this.soonest(maxDelay)!;
    this.time = Math.max(this.time, timer.due);
    timer.subscription.unsubscribe();
    timer.run();
    return timer.delay;
  }

  /** Moves the clock without running anything (a connection "stays up" for a while). */
  advance(ms: number): void {
    this.time += ms;
  }

  private soonest(maxDelay: number): Timer | undefined {
    return [...this.timers].filter((t) => t.delay <= maxDelay).sort((a, b) => a.due - b.due)[0];
  }
}
