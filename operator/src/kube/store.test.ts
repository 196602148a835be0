import { describe, expect, test } from "bun:test";
import { from, lastValueFrom, map, merge, timer, toArray, VirtualTimeScheduler } from "rxjs";
import { keyOf, objectKey } from "./keys.ts";
import { changedKeysBetween, Reflector, reflect } from "./store.ts";
import type { KubeObject } from "./types.ts";
import type { WatchEvent } from "./watch.ts";

const obj = (name: string, rv: string, namespace?: string): KubeObject => ({
  metadata: { name, resourceVersion: rv, ...(namespace && { namespace }) },
});
const frame = (rv: string, ...objects: KubeObject[]): WatchEvent<KubeObject>[] => [
  { type: "init" },
  ...objects.map((object) => ({ type: "initApply" as const, object })),
  { type: "initDone", resourceVersion: rv },
];
const names = (r: Reflector<KubeObject>) => [...r.snapshot.objects.keys()].sort();

describe("objectKey", () => {
  test("namespace/name for namespaced objects, name for cluster-scoped ones", () => {
    expect(objectKey("default", "web")).toBe("default/web");
    expect(objectKey(undefined, "node-1")).toBe("node-1");
    expect(keyOf(obj("web", "1", "default"))).toBe("default/web");
    expect(keyOf(obj("node-1", "1"))).toBe("node-1");
  });
});

describe("Reflector", () => {
  test("is not synced, and shows nothing, until the first initDone", () => {
    const r = new Reflector<KubeObject>();
    const [init, apply, done] = frame("r1", obj("a", "1", "ns"));
    expect(r.apply(init!)).toBe(false);
    expect(r.apply(apply!)).toBe(false);
    expect(r.snapshot).toMatchObject({ synced: false });
    expect(r.snapshot.objects.size).toBe(0);
    expect(r.apply(done!)).toBe(true);
    expect(r.snapshot.synced).toBe(true);
    expect(r.snapshot.listResourceVersion).toBe("r1");
    expect(names(r)).toEqual(["ns/a"]);
  });

  test("apply and delete produce new snapshots and never mutate a handed-out one", () => {
    const r = new Reflector<KubeObject>();
    for (const e of frame("r1", obj("a", "1", "ns"))) r.apply(e);
    const before = r.snapshot;
    expect(r.apply({ type: "apply", object: obj("b", "2", "ns") })).toBe(true);
    expect(r.apply({ type: "delete", object: obj("a", "3", "ns") })).toBe(true);
    expect([...before.objects.keys()]).toEqual(["ns/a"]);
    expect(names(r)).toEqual(["ns/b"]);
    expect(r.snapshot.synced).toBe(true);
  });

  test("deleting an unknown object is no change", () => {
    const r = new Reflector<KubeObject>();
    for (const e of frame("r1")) r.apply(e);
    const before = r.snapshot;
    expect(r.apply({ type: "delete", object: obj("ghost", "9") })).toBe(false);
    expect(r.snapshot).toBe(before);
  });

  test("a relist swaps the whole map at initDone: objects missing from the new list disappear", () => {
    const r = new Reflector<KubeObject>();
    for (const e of frame("r1", obj("a", "1", "ns"), obj("b", "1", "ns"))) r.apply(e);
    const [init, ...rest] = frame("r5", obj("b", "4", "ns"), obj("c", "5", "ns"));
    r.apply(init!);
    r.apply(rest[0]!);
    expect(names(r)).toEqual(["ns/a", "ns/b"]); // old view until the frame completes
    for (const e of rest.slice(1)) r.apply(e);
    expect(names(r)).toEqual(["ns/b", "ns/c"]);
    expect(r.snapshot.objects.get("ns/b")?.metadata.resourceVersion).toBe("4");
    expect(r.snapshot.listResourceVersion).toBe("r5");
  });

  test("a new init discards a partial frame left by a failed list", () => {
    const r = new Reflector<KubeObject>();
    r.apply({ type: "init" });
    r.apply({ type: "initApply", object: obj("stale", "1") });
    for (const e of frame("r2", obj("fresh", "2"))) r.apply(e);
    expect(names(r)).toEqual(["fresh"]);
  });
});

describe("Reflector with `unchanged`", () => {
  // Same when the labels agree (resourceVersion ignored), as a projection without it would be.
  const sameLabels = (a: KubeObject, b: KubeObject) =>
    JSON.stringify(a.metadata.labels ?? {}) === JSON.stringify(b.metadata.labels ?? {});
  const labelled = (name: string, rv: string, tier: string): KubeObject => ({
    metadata: { name, namespace: "ns", resourceVersion: rv, labels: { tier } },
  });

  test("an unchanged update keeps the held object and publishes nothing; a change replaces it", () => {
    const r = new Reflector<KubeObject>(sameLabels);
    for (const e of frame("r1", labelled("a", "1", "web"))) r.apply(e);
    const held = r.snapshot.objects.get("ns/a");
    expect(r.apply({ type: "apply", object: labelled("a", "2", "web") })).toBe(false);
    expect(r.snapshot.objects.get("ns/a")).toBe(held!);
    expect(r.apply({ type: "apply", object: labelled("a", "3", "db") })).toBe(true);
    expect(r.snapshot.objects.get("ns/a")?.metadata.labels).toEqual({ tier: "db" });
  });

  test("a relist keeps the objects it did not change, and drops the missing ones", () => {
    const r = new Reflector<KubeObject>(sameLabels);
    for (const e of frame("r1", labelled("a", "1", "web"), labelled("b", "1", "web"))) r.apply(e);
    const a = r.snapshot.objects.get("ns/a");
    for (const e of frame("r2", labelled("a", "7", "web"))) r.apply(e);
    expect(r.snapshot.objects.get("ns/a")).toBe(a!);
    expect([...r.snapshot.objects.keys()]).toEqual(["ns/a"]);
  });
});

describe("changedKeysBetween", () => {
  test("names exactly the keys applied or deleted between two snapshots, across bursts", () => {
    const r = new Reflector<KubeObject>(undefined, true);
    for (const e of frame("r1", obj("a", "1", "ns"), obj("b", "1", "ns"))) r.apply(e);
    const first = r.snapshot.objects;
    r.apply({ type: "apply", object: obj("a", "2", "ns") });
    const second = r.snapshot.objects;
    r.apply({ type: "apply", object: obj("c", "1", "ns") });
    r.apply({ type: "delete", object: obj("b", "3", "ns") });
    r.apply({ type: "delete", object: obj("ghost", "3", "ns") }); // no change: not recorded
    const third = r.snapshot.objects;
    expect([...(changedKeysBetween(first, second) ?? [])]).toEqual(["ns/a"]);
    expect([...(changedKeysBetween(second, third) ?? [])].sort()).toEqual(["ns/b", "ns/c"]);
    expect([...(changedKeysBetween(first, third) ?? [])].sort()).toEqual(["ns/a", "ns/b", "ns/c"]);
    expect(changedKeysBetween(third, third)?.size).toBe(0);
  });

  test("unknown for a store that keeps no change log (the default)", () => {
    const r = new Reflector<KubeObject>();
    for (const e of frame("r1", obj("a", "1", "ns"))) r.apply(e);
    const first = r.snapshot.objects;
    r.apply({ type: "apply", object: obj("a", "2", "ns") });
    expect(changedKeysBetween(first, r.snapshot.objects)).toBeUndefined();
  });

  test("unknown across a relist, across stores, and backwards", () => {
    const r = new Reflector<KubeObject>(undefined, true);
    for (const e of frame("r1", obj("a", "1", "ns"))) r.apply(e);
    const before = r.snapshot.objects;
    r.apply({ type: "apply", object: obj("a", "2", "ns") });
    const later = r.snapshot.objects;
    for (const e of frame("r2", obj("a", "3", "ns"))) r.apply(e);
    expect(changedKeysBetween(before, r.snapshot.objects)).toBeUndefined();
    expect(changedKeysBetween(later, before)).toBeUndefined();
    const other = new Reflector<KubeObject>(undefined, true);
    for (const e of frame("r1")) other.apply(e);
    expect(changedKeysBetween(before, other.snapshot.objects)).toBeUndefined();
    expect(changedKeysBetween(new Map(), later)).toBeUndefined();
  });

  test("a snapshot from long ago (the log trimmed past it) is unknown, recent ones still known", () => {
    const r = new Reflector<KubeObject>(undefined, true);
    for (const e of frame("r1", obj("a", "1", "ns"))) r.apply(e);
    const old = r.snapshot.objects;
    for (let i = 0; i < 10_000; i++) r.apply({ type: "apply", object: obj("a", String(i + 2), "ns") });
    const recent = r.snapshot.objects;
    r.apply({ type: "apply", object: obj("z", "1", "ns") });
    expect(changedKeysBetween(old, r.snapshot.objects)).toBeUndefined();
    expect([...(changedKeysBetween(recent, r.snapshot.objects) ?? [])]).toEqual(["ns/z"]);
  });
});

describe("reflect()", () => {
  test("emits one snapshot per change and none inside a frame", async () => {
    const events: WatchEvent<KubeObject>[] = [
      ...frame("r1", obj("a", "1")),
      { type: "apply", object: obj("b", "2") },
      ...frame("r3", obj("b", "3")),
    ];
    const snapshots = await lastValueFrom(from(events).pipe(reflect({ scheduler: null }), toArray()));
    expect(snapshots.map((s) => [...s.objects.keys()])).toEqual([["a"], ["a", "b"], ["b"]]);
    expect(snapshots.every((s) => s.synced)).toBe(true);
  });

  test("by default a burst of changes is published as one snapshot, and earlier snapshots stay as they were", async () => {
    const events: WatchEvent<KubeObject>[] = [
      ...frame("r1", obj("a", "1")),
      { type: "apply", object: obj("b", "2") },
      { type: "apply", object: obj("c", "3") },
      { type: "delete", object: obj("a", "1") },
    ];
    const snapshots = await lastValueFrom(from(events).pipe(reflect(), toArray()));
    expect(snapshots.map((s) => [...s.objects.keys()])).toEqual([["b", "c"]]);
  });

  test("a snapshot handed out is never mutated by later changes", () => {
    const r = new Reflector<KubeObject>();
    for (const e of frame("r1", obj("a", "1"))) r.apply(e);
    const first = r.snapshot;
    r.apply({ type: "apply", object: obj("b", "2") });
    r.apply({ type: "delete", object: obj("a", "1") });
    const second = r.snapshot;
    expect([...first.objects.keys()]).toEqual(["a"]);
    expect([...second.objects.keys()]).toEqual(["b"]);
  });

  test("a spare copy made while idle serves the next change; no snapshot handed out is touched", () => {
    const r = new Reflector<KubeObject>();
    for (const e of frame("r1", obj("a", "1"))) r.apply(e);
    const first = r.snapshot;
    r.makeSpare();
    r.makeSpare(); // one spare at most
    r.apply({ type: "apply", object: obj("b", "2") });
    const second = r.snapshot;
    expect([...first.objects.keys()]).toEqual(["a"]);
    expect([...second.objects.keys()]).toEqual(["a", "b"]);
    expect(second.objects).not.toBe(first.objects);
    // A spare made before a relist is dropped by it: the relist's objects are what follows.
    r.makeSpare();
    for (const e of frame("r2", obj("c", "3"))) r.apply(e);
    r.apply({ type: "apply", object: obj("d", "4") });
    expect([...r.snapshot.objects.keys()]).toEqual(["c", "d"]);
    expect([...second.objects.keys()]).toEqual(["a", "b"]);
  });

  test("with spareCopy, reflect() copies the objects on the turn after a publication", async () => {
    const events: WatchEvent<KubeObject>[] = [
      ...frame("r1", obj("a", "1")),
      { type: "apply", object: obj("b", "2") },
    ];
    const snapshots = await lastValueFrom(from(events).pipe(reflect({ spareCopy: true }), toArray()));
    expect(snapshots.map((s) => [...s.objects.keys()])).toEqual([["a", "b"]]);
  });

  test("a large store publishes at most once per size × spacing while changes keep coming; a small one at once", () => {
    const publishedAt = (size: number, changesAt: number[]) => {
      const scheduler = new VirtualTimeScheduler();
      const objects = Array.from({ length: size }, (_, i) => obj(`o${i}`, "1"));
      const at = (t: number, event: WatchEvent<KubeObject>) => timer(t, scheduler).pipe(map(() => event));
      const times: number[] = [];
      merge(
        ...frame("r1", ...objects).map((e) => at(0, e)),
        ...changesAt.map((t, i) => at(t, { type: "apply", object: obj(`new${i}`, "2") })),
      )
        .pipe(reflect({ scheduler }))
        .subscribe(() => times.push(scheduler.now()));
      scheduler.flush();
      return times;
    };
    // 3000 objects (3001 with the first change): about 3 ms apart at most; the change at 1 waits
    // until 3.001, the one at 2 joins it, the one at 10 (after a quiet spell) goes at once.
    expect(publishedAt(3000, [1, 2, 10])).toEqual([0, 3.001, 10]);
    // 100 objects: every change on its own.
    expect(publishedAt(100, [1, 2, 10])).toEqual([0, 1, 2, 10]);
  });

  test("minSpacingMs paces publications at the consumer's pace, whatever the size, only while it asks", () => {
    const scheduler = new VirtualTimeScheduler();
    let paceMs = 100;
    const at = (t: number, event: WatchEvent<KubeObject>) => timer(t, scheduler).pipe(map(() => event));
    const times: number[] = [];
    merge(
      ...frame("r1", obj("a", "1")).map((e) => at(0, e)),
      ...[1, 50, 99, 150, 300, 320].map((t, i) => at(t, { type: "apply", object: obj(`n${i}`, "2") })),
    )
      .pipe(reflect({ scheduler, minSpacingMs: () => paceMs }))
      .subscribe(() => {
        times.push(scheduler.now());
        // The consumer's backlog is gone after the third publication.
        if (times.length === 3) paceMs = 0;
      });
    scheduler.flush();
    // 1, 50 and 99 wait for 100 (one publication); 150 for 200; then, unpaced, 300 and 320 each at once.
    expect(times).toEqual([0, 100, 200, 300, 320]);
  });
});
