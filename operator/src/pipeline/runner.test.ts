import { describe, expect, test } from "bun:test";
import { Subject } from "rxjs";
import { createLogger } from "../observability/log.ts";
import { runReconcileLoop } from "./runner.ts";

describe("runReconcileLoop", () => {
  test("folds the state, hands over the previous outcome, and survives an apply that throws", () => {
    const source = new Subject<number>();
    const applied: Array<[number, number, number | undefined]> = [];
    const cycles: number[] = [];
    const loop = runReconcileLoop(source, {
      prepare: (n: number) => n * 10,
      initialState: 0,
      reconcile: (input, state) => ({ state: state + 1, outcome: input + state }),
      apply: ({ input, outcome, previous }) => {
        if (input === 20) throw new Error("effect failed");
        applied.push([input, outcome, previous]);
      },
      log: createLogger("none", {}),
      onCycle: (ms) => cycles.push(ms),
    });
    source.next(1);
    source.next(2);
    source.next(3);
    expect(applied).toEqual([
      [10, 10, undefined],
      [30, 32, 21],
    ]);
    expect(cycles).toHaveLength(3);
    expect(loop.lastCycleMs()).toBeGreaterThanOrEqual(0);
    expect(loop.subscription.closed).toBe(false);
    loop.subscription.unsubscribe();
  });
});
