import type { Timers } from "../keyed-writer.ts";

/** A manual clock for the writers' tests: timers fire only when the test advances time. */
export class ManualTimers implements Timers {
  private t = 0;
  private seq = 0;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();
  now() {
    return this.t;
  }
  setTimeout(fn: () => void, ms: number) {
    const id = ++this.seq;
    this.pending.set(id, { at: this.t + ms, fn });
    return id;
  }
  clearTimeout(h: unknown) {
    this.pending.delete(h as number);
  }
  /** How long until each pending timer fires. */
  delays(): number[] {
    return [...this.pending.values()].map((p) => p.at - this.t);
  }
  advance(ms: number) {
    this.t += ms;
    for (const [id, p] of [...this.pending]) {
      if (p.at <= this.t) {
        this.pending.delete(id);
        p.fn();
      }
    }
  }
}
