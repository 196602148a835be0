import { describe, expect, test } from "bun:test";
import { type DetectorOptions, FailureDetector } from "./detector.ts";
import type { Beat } from "./packet.ts";

const opts: DetectorOptions = { self: "node-a", intervalMs: 100, deadAfterMs: 400 };

function beatOf(node: string, seq: number, more: Partial<Beat> = {}): Beat {
  return { kind: "alive", node, incarnation: 1000, seq, intervalMs: 100, ...more };
}

/** Feeds `node` a beat every intervalMs from `from` (inclusive) to `to` (exclusive), ticking too. */
function beatSteadily(
  d: FailureDetector,
  node: string,
  from: number,
  to: number,
  firstSeq: number,
  inc = 1000,
) {
  let seq = firstSeq;
  const changes = [];
  for (let t = from; t < to; t += 100) {
    d.tick(t);
    const out = d.heard(beatOf(node, seq, { incarnation: inc }), t);
    if (out.accepted && out.change) changes.push(out.change);
    changes.push(...d.expire(t));
    seq += 1;
  }
  return { changes, nextSeq: seq };
}

describe("FailureDetector: joins and deaths", () => {
  test("a first beat makes a member at once; members are sorted and include self", () => {
    const d = new FailureDetector(opts);
    expect([...d.members()]).toEqual(["node-a"]);
    const out = d.heard(beatOf("node-c", 1), 0);
    expect(out).toEqual({
      accepted: true,
      change: { node: "node-c", change: "joined", reason: "firstBeat", at: 0 },
      gapMs: undefined,
    });
    d.heard(beatOf("node-b", 1), 5);
    expect([...d.members()]).toEqual(["node-a", "node-b", "node-c"]);
  });

  test("dead exactly deadAfterMs after the last beat, not a millisecond before", () => {
    const d = new FailureDetector(opts);
    d.tick(0);
    d.heard(beatOf("node-b", 1), 10);
    expect(d.nextDeadline()).toBe(410);
    for (let t = 100; t <= 400; t += 100) d.tick(t);
    expect(d.expire(409)).toEqual([]);
    expect(d.expire(410)).toEqual([{ node: "node-b", change: "departed", reason: "timeout", at: 410 }]);
    expect([...d.members()]).toEqual(["node-a"]);
    expect(d.nextDeadline()).toBeUndefined();
    expect(d.expire(2000)).toEqual([]);
  });

  test("steady beats, even with gaps just under the deadline, never kill", () => {
    const d = new FailureDetector(opts);
    let t = 0;
    let seq = 1;
    for (let i = 0; i < 1000; i += 1) {
      d.heard(beatOf("node-b", seq++), t);
      const gap = i % 7 === 0 ? 399 : 100;
      for (let s = t + 100; s < t + gap; s += 100) d.tick(s);
      t += gap;
      d.tick(t);
      expect(d.expire(t)).toEqual([]);
    }
  });

  test("the gap between beats of one incarnation is reported", () => {
    const d = new FailureDetector(opts);
    d.heard(beatOf("node-b", 1), 0);
    expect(d.heard(beatOf("node-b", 2), 130)).toMatchObject({ accepted: true, gapMs: 130 });
  });

  test("several peers die together: one change each, sorted by name", () => {
    const d = new FailureDetector(opts);
    d.tick(0);
    for (const n of ["node-d", "node-b", "node-c"]) d.heard(beatOf(n, 1), 0);
    for (let t = 100; t <= 400; t += 100) d.tick(t);
    expect(d.expire(400).map((c) => c.node)).toEqual(["node-b", "node-c", "node-d"]);
  });

  test("a peer advertising a slower interval gets a proportionally longer deadline", () => {
    const d = new FailureDetector(opts);
    d.heard(beatOf("node-b", 1, { intervalMs: 200 }), 0);
    expect(d.nextDeadline()).toBe(800);
    d.heard(beatOf("node-c", 1, { intervalMs: 50 }), 0);
    expect(d.nextDeadline()).toBe(400); // faster peers keep our deadline
  });

  test("our own looped-back beat is not a peer", () => {
    const d = new FailureDetector(opts);
    expect(d.heard(beatOf("node-a", 1), 0)).toEqual({ accepted: false, reason: "self" });
    expect(d.peerCount()).toBe(0);
  });

  test("invalid timing is refused", () => {
    expect(() => new FailureDetector({ ...opts, deadAfterMs: 100 })).toThrow(/deadAfterMs/);
    expect(() => new FailureDetector({ ...opts, intervalMs: 0 })).toThrow(/deadAfterMs/);
  });
});

describe("FailureDetector: leaving", () => {
  test("a leaving beat departs the peer at once, and its later alive beats of that life are replays", () => {
    const d = new FailureDetector(opts);
    d.heard(beatOf("node-b", 1), 0);
    expect(d.heard(beatOf("node-b", 2, { kind: "leaving" }), 50)).toEqual({
      accepted: true,
      change: { node: "node-b", change: "departed", reason: "left", at: 50 },
      gapMs: undefined,
    });
    expect([...d.members()]).toEqual(["node-a"]);
    // the other copies of the leaving beat, and an alive beat sent before it but arriving late
    expect(d.heard(beatOf("node-b", 2, { kind: "leaving" }), 51)).toEqual({
      accepted: false,
      reason: "replayed",
    });
    expect(d.heard(beatOf("node-b", 1), 52)).toEqual({ accepted: false, reason: "replayed" });
    // a fresh copy with a higher sequence is accepted but changes nothing
    expect(d.heard(beatOf("node-b", 3, { kind: "leaving" }), 53)).toMatchObject({
      accepted: true,
      change: undefined,
    });
    expect(d.expire(10_000)).toEqual([]);
  });

  test("a leaving beat from a node never seen records it as departed without a change", () => {
    const d = new FailureDetector(opts);
    expect(d.heard(beatOf("node-b", 7, { kind: "leaving" }), 0)).toMatchObject({
      accepted: true,
      change: undefined,
    });
    expect(d.peer("node-b")?.state).toBe("left");
    expect(d.heard(beatOf("node-b", 6), 1)).toEqual({ accepted: false, reason: "replayed" });
  });
});

describe("FailureDetector: replay window", () => {
  test("same incarnation: a sequence not above the highest is a replay", () => {
    const d = new FailureDetector(opts);
    d.heard(beatOf("node-b", 10), 0);
    expect(d.heard(beatOf("node-b", 10), 1)).toEqual({ accepted: false, reason: "replayed" });
    expect(d.heard(beatOf("node-b", 3), 2)).toEqual({ accepted: false, reason: "replayed" });
    expect(d.heard(beatOf("node-b", 12), 3)).toMatchObject({ accepted: true });
    expect(d.heard(beatOf("node-b", 11), 4)).toEqual({ accepted: false, reason: "replayed" });
  });

  test("replays of a dead peer's beats do not bring it back", () => {
    const d = new FailureDetector(opts);
    const { nextSeq } = beatSteadily(d, "node-b", 0, 500, 1);
    for (let t = 500; t <= 1200; t += 100) {
      d.tick(t);
      d.expire(t);
    }
    expect(d.peer("node-b")?.state).toBe("dead");
    for (let seq = 1; seq < nextSeq; seq += 1) {
      expect(d.heard(beatOf("node-b", seq), 1300 + seq)).toEqual({ accepted: false, reason: "replayed" });
    }
    expect([...d.members()]).toEqual(["node-a"]);
  });

  test("an older incarnation is stale while the peer is alive or recently heard", () => {
    const d = new FailureDetector(opts);
    d.heard(beatOf("node-b", 1, { incarnation: 2000 }), 0);
    expect(d.heard(beatOf("node-b", 99, { incarnation: 1999 }), 10)).toEqual({
      accepted: false,
      reason: "staleIncarnation",
    });
    d.tick(400);
    d.expire(400);
    expect(d.peer("node-b")?.state).toBe("dead");
    expect(d.heard(beatOf("node-b", 99, { incarnation: 1999 }), 59_000)).toEqual({
      accepted: false,
      reason: "staleIncarnation",
    });
  });

  test("after incarnationResetAfterMs of silence, a lower incarnation is a restart (clock went back)", () => {
    const d = new FailureDetector(opts);
    d.heard(beatOf("node-b", 50, { incarnation: 2000 }), 0);
    d.tick(400);
    d.expire(400);
    const { changes } = beatSteadily(d, "node-b", 60_000, 60_600, 1, 1500);
    expect(changes).toEqual([{ node: "node-b", change: "joined", reason: "restarted", at: 60_400 }]);
    expect(d.peer("node-b")).toEqual({ state: "alive", incarnation: 1500, seq: 6 });
  });

  test("a new incarnation resets the sequence", () => {
    const d = new FailureDetector(opts);
    d.heard(beatOf("node-b", 500), 0);
    expect(d.heard(beatOf("node-b", 1, { incarnation: 1001 }), 100)).toMatchObject({
      accepted: true,
      change: undefined,
      gapMs: undefined,
    });
    expect(d.heard(beatOf("node-b", 400, { incarnation: 1000 }), 150)).toEqual({
      accepted: false,
      reason: "staleIncarnation",
    });
  });
});

describe("FailureDetector: flap guard (hold-down)", () => {
  function kill(d: FailureDetector, node: string, lastBeatAt: number): number {
    for (let t = lastBeatAt + 100; t <= lastBeatAt + 400; t += 100) d.tick(t);
    const changes = d.expire(lastBeatAt + 400);
    expect(changes).toEqual([{ node, change: "departed", reason: "timeout", at: lastBeatAt + 400 }]);
    return lastBeatAt + 400;
  }

  test("a restarted peer (new incarnation) comes back after the base hold-down", () => {
    const d = new FailureDetector(opts);
    d.heard(beatOf("node-b", 1), 0);
    const deadAt = kill(d, "node-b", 0);
    const { changes } = beatSteadily(d, "node-b", deadAt + 1000, deadAt + 2000, 1, 5000);
    expect(changes).toEqual([{ node: "node-b", change: "joined", reason: "restarted", at: deadAt + 1400 }]);
  });

  test("same incarnation: hold-down doubles with every death in the flap window, capped, then resets", () => {
    const d = new FailureDetector({ ...opts, maxHoldDownMs: 1600 });
    let t = 0;
    let seq = 1;
    d.heard(beatOf("node-b", seq++), t);
    const holds: number[] = [];
    for (let round = 0; round < 5; round += 1) {
      t = kill(d, "node-b", t) + 300;
      const run = beatSteadily(d, "node-b", t, t + 5000, seq);
      seq = run.nextSeq;
      const joined = run.changes.find((c) => c.change === "joined");
      expect(joined?.reason).toBe("revived");
      holds.push((joined?.at ?? 0) - t);
      t += 4900;
    }
    expect(holds).toEqual([400, 800, 1600, 1600, 1600]);
    // a minute later the deaths are forgotten: back to the base hold-down
    t = kill(d, "node-b", t) + 61_000;
    const run = beatSteadily(d, "node-b", t, t + 1000, seq);
    expect(run.changes.map((c) => c.at - t)).toEqual([400]);
  });

  test("a restart clears the flap history: the next link flap gets the base hold-down again", () => {
    const d = new FailureDetector(opts);
    d.heard(beatOf("node-b", 1), 0);
    let t = kill(d, "node-b", 0) + 300;
    let run = beatSteadily(d, "node-b", t, t + 1000, 2); // revived after 400
    t = kill(d, "node-b", t + 900) + 300;
    run = beatSteadily(d, "node-b", t, t + 2000, run.nextSeq); // second death: 800
    expect(run.changes.map((c) => c.at - t)).toEqual([800]);
    t = kill(d, "node-b", t + 1900) + 300;
    run = beatSteadily(d, "node-b", t, t + 1000, 1, 2000); // restarted: base hold-down
    expect(run.changes).toEqual([{ node: "node-b", change: "joined", reason: "restarted", at: t + 400 }]);
    t = kill(d, "node-b", t + 900) + 300;
    run = beatSteadily(d, "node-b", t, t + 1000, run.nextSeq, 2000); // first flap of the new life
    expect(run.changes).toEqual([{ node: "node-b", change: "joined", reason: "revived", at: t + 400 }]);
  });

  test("our own link dying (every peer vanishes within one deadline) is not held against the peers", () => {
    const d = new FailureDetector(opts);
    let t = 0;
    const seqs = { "node-b": 1, "node-c": 1 };
    const beatBoth = (from: number, to: number) => {
      const joined: string[] = [];
      for (let at = from; at < to; at += 100) {
        d.tick(at);
        for (const node of ["node-b", "node-c"] as const) {
          const out = d.heard(beatOf(node, seqs[node]++), at + (node === "node-c" ? 30 : 0));
          if (out.accepted && out.change) joined.push(`${node}@${out.change.at - from}`);
        }
        d.expire(at);
      }
      return joined;
    };
    beatBoth(0, 1000);
    for (let round = 0; round < 4; round += 1) {
      t = 1000 + round * 3000;
      for (let at = t; at <= t + 600; at += 100) {
        d.tick(at);
        d.expire(at);
      }
      expect([...d.members()]).toEqual(["node-a"]);
      // back on the segment: both return after the base hold-down, every time
      expect(beatBoth(t + 1000, t + 3000)).toEqual(["node-b@400", "node-c@430"]);
    }
  });

  test("one peer flapping while another stays is still damped", () => {
    const d = new FailureDetector(opts);
    let seqB = 1;
    let seqC = 1;
    const holds: number[] = [];
    let t = 1000;
    for (let at = 0; at < t; at += 100) {
      d.tick(at);
      d.heard(beatOf("node-b", seqB++), at);
      d.heard(beatOf("node-c", seqC++), at);
    }
    for (let round = 0; round < 3; round += 1) {
      // node-b beats throughout; node-c is silent for 600 ms, then beats until it is back
      for (let at = t; at < t + 600; at += 100) {
        d.tick(at);
        d.heard(beatOf("node-b", seqB++), at);
        d.expire(at);
      }
      const back = t + 600;
      for (let at = back; at < back + 3000; at += 100) {
        d.tick(at);
        d.heard(beatOf("node-b", seqB++), at);
        const out = d.heard(beatOf("node-c", seqC++), at);
        if (out.accepted && out.change?.change === "joined") holds.push(out.change.at - back);
        d.expire(at);
      }
      t = back + 3000;
    }
    expect(holds).toEqual([400, 800, 1600]);
  });

  test("a run broken by a gap of a full deadline starts over", () => {
    const d = new FailureDetector(opts);
    d.heard(beatOf("node-b", 1), 0);
    const deadAt = kill(d, "node-b", 0);
    let run = beatSteadily(d, "node-b", deadAt + 100, deadAt + 400, 2); // 3 beats, not enough
    expect(run.changes).toEqual([]);
    const resume = deadAt + 300 + 400; // silent for a whole deadline
    for (let t = deadAt + 400; t < resume; t += 100) d.tick(t);
    run = beatSteadily(d, "node-b", resume, resume + 500, run.nextSeq);
    expect(run.changes).toEqual([{ node: "node-b", change: "joined", reason: "revived", at: resume + 400 }]);
  });

  test("random loss of up to 3 beats in a row never kills a peer; 4 in a row does", () => {
    let state = 12345;
    const random = () => {
      state = (state * 1103515245 + 12345) % 2 ** 31;
      return state / 2 ** 31;
    };
    const d = new FailureDetector(opts);
    let seq = 1;
    let lost = 0;
    for (let t = 0; t < 600_000; t += 100) {
      d.tick(t);
      if (lost < 3 && random() < 0.3) lost += 1;
      else {
        lost = 0;
        d.heard(beatOf("node-b", seq), t);
      }
      seq += 1;
      expect(d.expire(t)).toEqual([]);
    }
    const last = 600_000;
    d.heard(beatOf("node-b", seq++), last);
    for (let t = last + 100; t <= last + 400; t += 100) d.tick(t);
    expect(d.expire(last + 400).map((c) => c.reason)).toEqual(["timeout"]);
  });
});

describe("FailureDetector: our own stalls and the clock", () => {
  test("a late tick (our loop stalled) defers deaths by the grace, so queued beats are read first", () => {
    const d = new FailureDetector(opts);
    d.tick(0);
    d.heard(beatOf("node-b", 1), 0);
    d.heard(beatOf("node-c", 1), 0);
    // stalled from 0 to 900 ms: node-b kept beating (its beats wait in the socket), node-c died
    const stall = d.tick(900);
    expect(stall).toEqual({ at: 900, lateMs: 800 });
    expect(d.expire(900)).toEqual([]);
    expect(d.nextDeadline()).toBe(1000);
    d.heard(beatOf("node-b", 2), 901); // the queued beats, read after the timers
    d.heard(beatOf("node-b", 9), 901);
    d.tick(1000);
    expect(d.expire(1000)).toEqual([{ node: "node-c", change: "departed", reason: "timeout", at: 1000 }]);
    expect([...d.members()]).toEqual(["node-a", "node-b"]);
    expect(d.stalls()).toEqual([{ at: 900, lateMs: 800 }]);
  });

  test("a stall seen first by expire (its timer ran before the tick's) is guarded too", () => {
    const d = new FailureDetector(opts);
    d.tick(0);
    d.heard(beatOf("node-b", 1), 0);
    expect(d.expire(2000)).toEqual([]);
    expect(d.tick(2001)).toBeUndefined(); // the same stall is not counted twice
    d.heard(beatOf("node-b", 2), 2002);
    expect(d.expire(2100)).toEqual([]);
    expect(d.stalls().length).toBe(1);
  });

  test("ticks late by less than the tolerance are not stalls", () => {
    const d = new FailureDetector(opts);
    d.tick(0);
    expect(d.tick(199)).toBeUndefined();
    expect(d.tick(400)).toEqual({ at: 400, lateMs: 101 });
  });

  test("a clock that goes backwards never kills and never shortens a deadline", () => {
    const d = new FailureDetector(opts);
    d.tick(1000);
    d.heard(beatOf("node-b", 1), 1000);
    expect(d.expire(500)).toEqual([]);
    expect(d.heard(beatOf("node-b", 2), 400)).toMatchObject({ accepted: true, gapMs: 0 });
    expect(d.nextDeadline()).toBe(1400);
    expect(d.tick(300)).toBeUndefined();
  });
});

describe("FailureDetector: bounded memory", () => {
  test("a full table refuses new names while all are alive, and evicts the longest-departed otherwise", () => {
    const d = new FailureDetector({ ...opts, maxPeers: 3 });
    d.tick(0);
    for (const n of ["node-b", "node-c", "node-d"]) d.heard(beatOf(n, 1), 0);
    expect(d.heard(beatOf("node-e", 1), 1)).toEqual({ accepted: false, reason: "tooManyPeers" });
    d.heard(beatOf("node-c", 2, { kind: "leaving" }), 2);
    expect(d.heard(beatOf("node-e", 1), 3)).toMatchObject({
      accepted: true,
      change: { reason: "firstBeat" },
    });
    expect(d.peer("node-c")).toBeUndefined();
    expect(d.peerCount()).toBe(3);
  });
});
