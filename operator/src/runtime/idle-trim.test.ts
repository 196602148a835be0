import { describe, expect, test } from "bun:test";
import { IdleTrimmer } from "./idle-trim.ts";

describe("IdleTrimmer", () => {
  test("trims once, after the burst went quiet, and only after enough work", async () => {
    let trims = 0;
    let soon = 0;
    const t = new IdleTrimmer({
      quietMs: 30,
      minBusyMs: 100,
      trim: () => trims++,
      collectSoon: () => soon++,
    });
    t.noteCycle(40);
    t.noteCycle(40);
    await Bun.sleep(60);
    expect(trims).toBe(0); // 80 ms of work: not worth a full collection
    t.noteCycle(40);
    await Bun.sleep(10);
    t.noteCycle(5); // still busy: the trim waits for quiet
    await Bun.sleep(15);
    expect(trims).toBe(0);
    await Bun.sleep(40);
    expect(trims).toBe(1);
    await Bun.sleep(50);
    expect(trims).toBe(1);
    // A collection asked for after every cycle, whatever its size (the first two ended in one turn).
    expect(soon).toBe(3);
    // Never in the cycle's own turn, and once for cycles that end in the same turn.
    t.noteCycle(1);
    t.noteCycle(1);
    expect(soon).toBe(3);
    await Bun.sleep(0);
    expect(soon).toBe(4);
    t.stop();
  });

  test("the real trim runs (a full GC and Bun.shrink) without throwing", () => {
    let info: { busyMs: number; trimMs: number } | undefined;
    const t = new IdleTrimmer({ quietMs: 0, minBusyMs: 0, onTrim: (i) => (info = i) });
    (t as unknown as { run(): void }).run();
    expect(info?.trimMs).toBeGreaterThanOrEqual(0);
  });
});
