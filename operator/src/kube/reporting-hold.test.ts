import { describe, expect, test } from "bun:test";
import { ReportingHold } from "./reporting-hold.ts";
import { ManualTimers } from "./testing/manual-timers.ts";

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
