import { describe, expect, test } from "bun:test";
import type { Timers } from "./keyed-writer.ts";
import { ReportingHold } from "./reporting-hold.ts";

class ManualTimers implements Timers {
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

function setUp() {
  const timers = new ManualTimers();
  const calls: boolean[] = [];
  const writer = { pause: (paused: boolean) => calls.push(paused) };
  const hold = new ReportingHold([writer, writer], { timers });
  return { timers, calls, hold };
}

describe("ReportingHold", () => {
  test("a burst of 10k routes holds the writers for 500 ms, then lets them go", () => {
    const { timers, calls, hold } = setUp();
    hold.routesChanged(10_000);
    expect(calls).toEqual([true, true]);
    timers.advance(499);
    expect(hold.holding).toBe(true);
    timers.advance(1);
    expect(hold.holding).toBe(false);
    expect(calls).toEqual([true, true, false, false]);
  });

  test("a handful of changes (a Service created) holds nothing", () => {
    const { calls, hold } = setUp();
    hold.routesChanged(1);
    hold.routesChanged(19);
    expect(calls).toEqual([]);
    expect(hold.holding).toBe(false);
  });

  test("bursts that follow extend the hold, never past 2 s from its start", () => {
    const { timers, calls, hold } = setUp();
    hold.routesChanged(10_000);
    for (let i = 0; i < 10; i++) {
      timers.advance(400);
      hold.routesChanged(10_000);
    }
    // Released at 2000 ms; the bursts after it start a new hold.
    expect(calls.slice(0, 4)).toEqual([true, true, false, false]);
    expect(hold.holding).toBe(true);
    timers.advance(500);
    expect(hold.holding).toBe(false);
  });

  test("a burst too big for one hold holds for 2 s; release ends it at once", () => {
    const { timers, calls, hold } = setUp();
    hold.routesChanged(1_000_000);
    timers.advance(1999);
    expect(hold.holding).toBe(true);
    hold.release();
    expect(hold.holding).toBe(false);
    expect(calls).toEqual([true, true, false, false]);
    hold.release();
    expect(calls).toHaveLength(4);
  });
});
