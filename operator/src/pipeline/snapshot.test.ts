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

  test("a burst is coalesced into one snapshot, the latest, one window after the burst began", () => {
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
      // x at 0 -> emitted at 10; y,z,w at 21..25 -> one emission (w) at 31; v at 56 -> 66.
      expectObservable(out).toBe("10ms s 20ms t 34ms u", { s: "a1|b1", t: "a4|b1", u: "a5|b1" });
    });
  });
});
