import { describe, expect, test } from "bun:test";
import { type KeyedJob, KeyedWriter } from "./keyed-writer.ts";
import { ManualTimers } from "./testing/manual-timers.ts";

/** A job whose runs are recorded and whose outcome the test decides. */
function recorder() {
  const runs: string[] = [];
  const gates: Array<{ resolve: () => void; reject: (e: unknown) => void }> = [];
  const job = (key: string, fp: string, outcome: "ok" | "fail" | "gate" = "ok"): KeyedJob => ({
    fingerprint: fp,
    run: () => {
      runs.push(`${key}:${fp}`);
      if (outcome === "ok") return Promise.resolve();
      if (outcome === "fail") return Promise.reject(new Error("boom"));
      return new Promise<void>((resolve, reject) => gates.push({ resolve, reject }));
    },
  });
  return { runs, gates, job };
}

const flush = () => new Promise((r) => setTimeout(r, 0));

describe("KeyedWriter", () => {
  test("each write runs once; the same write again is not repeated", async () => {
    const { runs, job } = recorder();
    const w = new KeyedWriter({ timers: new ManualTimers() });
    w.setDesired(
      new Map([
        ["a", job("a", "1")],
        ["b", job("b", "1")],
      ]),
    );
    await w.idle();
    w.setDesired(
      new Map([
        ["a", job("a", "1")],
        ["b", job("b", "1")],
      ]),
    );
    await w.idle();
    expect(runs).toEqual(["a:1", "b:1"]);
  });

  test("never more than `concurrency` writes at once", async () => {
    const { runs, gates, job } = recorder();
    const w = new KeyedWriter({ concurrency: 2, timers: new ManualTimers() });
    w.setDesired(new Map(["a", "b", "c", "d"].map((k) => [k, job(k, "1", "gate")])));
    expect(runs).toEqual(["a:1", "b:1"]);
    gates[0]!.resolve();
    await flush();
    expect(runs).toEqual(["a:1", "b:1", "c:1"]);
    for (const g of gates.slice(1)) g.resolve();
    await flush();
    gates[3]?.resolve();
    await w.idle();
    expect(runs).toHaveLength(4);
  });

  test("paused, no write starts; the one running finishes; unpaused, the latest wanted run", async () => {
    const { runs, gates, job } = recorder();
    const w = new KeyedWriter({ concurrency: 4, timers: new ManualTimers() });
    w.setDesired(new Map([["a", job("a", "1", "gate")]]));
    w.pause(true);
    w.setDesired(
      new Map([
        ["a", job("a", "1", "gate")],
        ["b", job("b", "1")],
        ["c", job("c", "1")],
      ]),
    );
    w.setDesired(
      new Map([
        ["a", job("a", "1", "gate")],
        ["b", job("b", "2")],
        ["c", job("c", "1")],
      ]),
    );
    expect(runs).toEqual(["a:1"]);
    gates[0]!.resolve();
    await flush();
    expect(runs).toEqual(["a:1"]);
    w.pause(false);
    await w.idle();
    expect(runs).toEqual(["a:1", "b:2", "c:1"]);
  });

  test("a failed write retries with exponential backoff until it succeeds", async () => {
    const timers = new ManualTimers();
    let attempts = 0;
    const errors: number[] = [];
    const w = new KeyedWriter({ timers, initialBackoffMs: 100, onError: (_k, _e, n) => errors.push(n) });
    const flaky: KeyedJob = {
      fingerprint: "1",
      run: () => (++attempts < 3 ? Promise.reject(new Error("503")) : Promise.resolve()),
    };
    w.setDesired(new Map([["a", flaky]]));
    await flush();
    expect(timers.delays()).toEqual([100]);
    timers.advance(100);
    await flush();
    expect(timers.delays()).toEqual([200]);
    timers.advance(200);
    await w.idle();
    expect(attempts).toBe(3);
    expect(errors).toEqual([1, 2]);
    expect(w.pending).toBe(0);
  });

  test("a terminal failure waits for a different write", async () => {
    const { runs, job } = recorder();
    const timers = new ManualTimers();
    const w = new KeyedWriter({ timers, isTerminal: () => true });
    w.setDesired(new Map([["a", job("a", "1", "fail")]]));
    await flush();
    expect(timers.delays()).toEqual([]);
    w.setDesired(new Map([["a", job("a", "1", "fail")]]));
    await flush();
    w.setDesired(new Map([["a", job("a", "2")]]));
    await w.idle();
    expect(runs).toEqual(["a:1", "a:2"]);
  });

  test("a key that leaves the set has its retry cancelled", async () => {
    const { runs, job } = recorder();
    const timers = new ManualTimers();
    const w = new KeyedWriter({ timers });
    w.setDesired(new Map([["a", job("a", "1", "fail")]]));
    await flush();
    w.setDesired(new Map());
    expect(timers.delays()).toEqual([]);
    timers.advance(60_000);
    await w.idle();
    expect(runs).toEqual(["a:1"]);
  });

  test("a write that succeeds after its key left the set still counts as a success", async () => {
    // The watch often shows a write before its answer: the next reconcile drops the key meanwhile.
    const { gates, job } = recorder();
    const succeeded: string[] = [];
    const failed: string[] = [];
    const w = new KeyedWriter({
      timers: new ManualTimers(),
      onSuccess: (key) => succeeded.push(key),
      onError: (key) => failed.push(key),
    });
    w.setDesired(
      new Map([
        ["a", job("a", "1", "gate")],
        ["b", job("b", "1", "gate")],
      ]),
    );
    w.setDesired(new Map());
    gates[0]!.resolve();
    gates[1]!.reject(new Error("gone"));
    await flush();
    await w.idle();
    expect(succeeded).toEqual(["a"]);
    expect(failed).toEqual([]);
    expect(w.pending).toBe(0);
  });

  test("minIntervalMs: under a flood of changes a key is written once per interval, with the latest value", async () => {
    const { runs, job } = recorder();
    const timers = new ManualTimers();
    const w = new KeyedWriter({ timers, minIntervalMs: 1000 });
    w.setDesired(new Map([["pool", job("pool", "1")]]));
    await flush();
    w.setDesired(new Map([["pool", job("pool", "2")]]));
    await flush();
    timers.advance(400);
    w.setDesired(new Map([["pool", job("pool", "3")]]));
    await flush();
    expect(runs).toEqual(["pool:1"]);
    timers.advance(599);
    await flush();
    expect(runs).toEqual(["pool:1"]);
    timers.advance(1);
    await flush();
    await w.idle();
    expect(runs).toEqual(["pool:1", "pool:3"]);
    // Other keys are not held back by it.
    w.setDesired(new Map([["other", job("other", "1")]]));
    await flush();
    expect(runs).toEqual(["pool:1", "pool:3", "other:1"]);
  });

  test("minIntervalMs holds for a key that left the desired set after its write and came back", async () => {
    const { runs, job } = recorder();
    const timers = new ManualTimers();
    const w = new KeyedWriter({ timers, minIntervalMs: 1000 });
    // A pool's counters: written, then in the set no more (the watch shows them), then changed again
    // by the next Service 50 ms later.
    w.setDesired(new Map([["pool", job("pool", "1")]]));
    await flush();
    timers.advance(20);
    w.setDesired(new Map());
    timers.advance(30);
    w.setDesired(new Map([["pool", job("pool", "2")]]));
    await flush();
    expect(runs).toEqual(["pool:1"]);
    timers.advance(949);
    await flush();
    expect(runs).toEqual(["pool:1"]);
    timers.advance(1);
    await flush();
    expect(runs).toEqual(["pool:1", "pool:2"]);
    // Long after its last write, a key is written at once.
    timers.advance(5000);
    w.setDesired(new Map());
    w.setDesired(new Map([["pool", job("pool", "3")]]));
    await flush();
    expect(runs).toEqual(["pool:1", "pool:2", "pool:3"]);
  });

  test("backlog counts queued and running writes, not retries waiting out a backoff", async () => {
    const { gates, job } = recorder();
    const timers = new ManualTimers();
    const w = new KeyedWriter({ timers, concurrency: 1 });
    w.setDesired(
      new Map([
        ["a", job("a", "1", "fail")],
        ["b", job("b", "1", "gate")],
        ["c", job("c", "1")],
      ]),
    );
    await flush();
    // a failed and waits to retry; b runs; c is queued behind it.
    expect(w.backlog).toBe(2);
    expect(w.pending).toBe(3);
    gates[0]!.resolve();
    await flush();
    await w.idle();
    expect(w.backlog).toBe(0);
    expect(w.pending).toBe(1);
    await w.stop();
  });

  test("a queue of 3000 keys drains in order (taken from the front without shift)", async () => {
    const { runs, job } = recorder();
    const w = new KeyedWriter({ timers: new ManualTimers(), concurrency: 4 });
    const keys = Array.from({ length: 3000 }, (_, i) => `k${i}`);
    w.setDesired(new Map(keys.map((k) => [k, job(k, "1")])));
    for (let i = 0; i < 100 && runs.length < 3000; i++) await flush();
    await w.idle();
    expect(runs).toEqual(keys.map((k) => `${k}:1`));
  });

  test("a changed write for a key runs after the one in flight, not beside it", async () => {
    const { runs, gates, job } = recorder();
    const w = new KeyedWriter({ timers: new ManualTimers() });
    w.setDesired(new Map([["a", job("a", "1", "gate")]]));
    w.setDesired(new Map([["a", job("a", "2")]]));
    expect(runs).toEqual(["a:1"]);
    gates[0]!.resolve();
    await flush();
    await w.idle();
    expect(runs).toEqual(["a:1", "a:2"]);
  });

  test("a write still wanted long after it succeeded is written again (nobody saw it land)", async () => {
    const { runs, job } = recorder();
    const timers = new ManualTimers();
    const w = new KeyedWriter({ timers, confirmAfterMs: 10_000 });
    w.setDesired(new Map([["a", job("a", "1")]]));
    await w.idle();
    timers.advance(5_000);
    w.setDesired(new Map([["a", job("a", "1")]]));
    await w.idle();
    expect(runs).toEqual(["a:1"]);
    timers.advance(5_000);
    w.setDesired(new Map([["a", job("a", "1")]]));
    await w.idle();
    expect(runs).toEqual(["a:1", "a:1"]);
  });

  test("stop waits for writes in flight and cancels the rest", async () => {
    const { runs, gates, job } = recorder();
    const w = new KeyedWriter({ concurrency: 1, timers: new ManualTimers() });
    w.setDesired(
      new Map([
        ["a", job("a", "1", "gate")],
        ["b", job("b", "1")],
      ]),
    );
    const stopped = w.stop();
    gates[0]!.resolve();
    await stopped;
    expect(runs).toEqual(["a:1"]);
  });

  test("a newer version wanted while the last write runs does not hold the stop", async () => {
    const { runs, gates, job } = recorder();
    const w = new KeyedWriter({ concurrency: 1, timers: new ManualTimers() });
    w.setDesired(new Map([["state", job("state", "1", "gate")]]));
    // The next reconcile wants version 2 while version 1 is still on its way.
    w.setDesired(new Map([["state", job("state", "2")]]));
    const stopped = w.stop();
    gates[0]!.resolve();
    await stopped;
    await flush();
    expect(runs).toEqual(["state:1"]);
  });

  test("a write failing while the writer stops is reported once, not retried, and does not hold the stop", async () => {
    const { runs, gates, job } = recorder();
    const timers = new ManualTimers();
    const errors: Array<[string, boolean]> = [];
    const w = new KeyedWriter({
      concurrency: 1,
      timers,
      onError: (key, _error, _attempt, terminal) => errors.push([key, terminal]),
    });
    w.setDesired(new Map([["state", job("state", "1", "gate")]]));
    const stopped = w.stop();
    gates[0]!.reject(new Error("apiserver went away"));
    await stopped;
    expect(timers.delays()).toEqual([]);
    timers.advance(60_000);
    await flush();
    expect(runs).toEqual(["state:1"]);
    expect(errors).toEqual([["state", true]]);
  });
});
