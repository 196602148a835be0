import { describe, expect, test } from "bun:test";
import { map } from "rxjs";
import { TestScheduler } from "rxjs/testing";
import type { StoreSnapshot } from "../kube/store.ts";
import { clusterSnapshot$ } from "./snapshot.ts";

const store = (synced: boolean, ...names: string[]): StoreSnapshot<string> => ({
  synced,
  objects: new Map(names.map((n) => [n, n])),
});

const keysOf = (s: { a: ReadonlyMap<string, string>; b: ReadonlyMap<string, string> }) =>
  `${[...s.a.keys()].join("+")}|${[...s.b.keys()].join("+")}`;

const testScheduler = () => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe("clusterSnapshot$", () => {
  test("emits nothing until every store has synced, then the objects of both", () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const a = cold("x-y-----", { x: store(false), y: store(true, "a1", "a2") });
      const b = cold("----z---", { z: store(true, "b1") });
      const out = clusterSnapshot$({ a, b }, { coalesceMs: 0 }).pipe(map(keysOf));
      expectObservable(out).toBe("----s---", { s: "a1+a2|b1" });
    });
  });

  test("a store that loses sync (relist in progress is never emitted) does not reach the reconciler", () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const a = cold("x-y-z", { x: store(true, "a1"), y: store(false, "a1"), z: store(true, "a2") });
      const b = cold("b----", { b: store(true, "b1") });
      const out = clusterSnapshot$({ a, b }, { coalesceMs: 0 }).pipe(map(keysOf));
      expectObservable(out).toBe("s---t", { s: "a1|b1", t: "a2|b1" });
    });
  });

  test("a change after a quiet window goes out at once; what follows within the window is coalesced into its end", () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const a = cold("x 20ms y 1ms z 1ms w 30ms v", {
        x: store(true, "a1"),
        y: store(true, "a2"),
        z: store(true, "a3"),
        w: store(true, "a4"),
        v: store(true, "a5"),
      });
      const b = cold("b", { b: store(true, "b1") });
      const out = clusterSnapshot$({ a, b }, { coalesceMs: 10 }).pipe(map(keysOf));
      // x at 0 -> at once; y at 21 -> at once, z and w within its window -> one emission (w) at
      // 31, which opens another window (to 41); v at 56 -> at once.
      expectObservable(out).toBe("s 20ms y 9ms t 24ms u", {
        s: "a1|b1",
        y: "a2|b1",
        t: "a4|b1",
        u: "a5|b1",
      });
    });
  });

  test("a steady flood is emitted once per window, never more", () => {
    testScheduler().run(({ cold, expectObservable }) => {
      // A change every 2 ms for 30 ms, windows of 10 ms.
      const marbles = Array.from({ length: 16 }, () => "x").join(" 1ms ");
      const a = cold(marbles, { x: store(true, "a1") });
      const b = cold("b", { b: store(true, "b1") });
      const out = clusterSnapshot$({ a, b }, { coalesceMs: 10 }).pipe(map(keysOf));
      // At once at 0, then at each window's end (10, 20, 30) while changes keep coming.
      expectObservable(out).toBe("s 9ms s 9ms s 9ms s", { s: "a1|b1" });
    });
  });
});
