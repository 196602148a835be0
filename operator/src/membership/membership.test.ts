import { afterEach, describe, expect, test } from "bun:test";
import { Registry } from "prom-client";
import { beatKeyFromSecret } from "./key.ts";
import {
  Membership,
  type MembershipLog,
  type MembershipOptions,
  type MembershipUpdate,
} from "./membership.ts";
import { membershipMetrics } from "./metrics.ts";
import { decodeBeat, encodeBeat } from "./packet.ts";
import { Hub } from "./testing/hub.ts";
import { ManualClock } from "./testing/manual-clock.ts";

const secret = new TextEncoder().encode("bWVtYmVybGlzdCBzZWNyZXQ=");
const names = ["node-a", "node-b", "node-c"];

interface Node {
  readonly name: string;
  readonly m: Membership;
  readonly views: Array<{ at: number; members: string[] }>;
  readonly updates: MembershipUpdate[];
  readonly logs: Array<{ level: string; fields: object; msg: string }>;
}

let started: Membership[] = [];
afterEach(async () => {
  await Promise.all(started.map((m) => m.stop()));
  started = [];
});

function recordingLog(logs: Node["logs"]): MembershipLog {
  const at = (level: string) => (fields: object, msg: string) => logs.push({ level, fields, msg });
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

async function node(
  hub: Hub,
  clock: ManualClock,
  name: string,
  more: Partial<MembershipOptions> = {},
): Promise<Node> {
  const logs: Node["logs"] = [];
  const m = new Membership({
    nodeName: name,
    key: secret,
    bindAddress: "192.0.2.1",
    clock,
    transport: hub.attach(name),
    log: recordingLog(logs),
    ...more,
  });
  const views: Node["views"] = [];
  const updates: MembershipUpdate[] = [];
  m.members$.subscribe((s) => views.push({ at: clock.now(), members: [...s] }));
  m.changes$.subscribe((u) => updates.push(u));
  await m.start();
  started.push(m);
  return { name, m, views, updates, logs };
}

async function cluster(more: Partial<MembershipOptions> = {}) {
  const hub = new Hub();
  const clock = new ManualClock();
  const nodes: Node[] = [];
  for (const n of names) nodes.push(await node(hub, clock, n, more));
  return { hub, clock, nodes };
}

const last = (n: Node) => n.views.at(-1)?.members;

describe("Membership (inline, manual clock, in-memory segment)", () => {
  test("nothing before the warm-up, then every node sees all three at once", async () => {
    const { clock, nodes } = await cluster();
    clock.advance(399);
    for (const n of nodes) expect(n.views).toEqual([]);
    clock.advance(1);
    for (const n of nodes) expect(n.views).toEqual([{ at: 400, members: names }]);
    for (const n of nodes) expect(n.updates).toEqual([{ members: new Set(names), changes: [] }]);
    clock.advance(10_000);
    for (const n of nodes) expect(n.views.length).toBe(1); // no flapping
  });

  test("a late subscriber gets the current set", async () => {
    const { clock, nodes } = await cluster();
    clock.advance(500);
    const seen: string[][] = [];
    nodes[0]!.m.members$.subscribe((s) => seen.push([...s]));
    expect(seen).toEqual([names]);
  });

  test("a node that stops beating is dropped 300-400 ms after its last beat, whatever the phase", async () => {
    for (const phase of [0, 1, 37, 50, 99]) {
      const { hub, clock, nodes } = await cluster();
      clock.advance(1000 + phase);
      const killedAt = clock.now();
      hub.cut("node-c"); // silent from now on, like a SIGKILL
      clock.advance(1000);
      for (const n of nodes.slice(0, 2)) {
        const drop = n.views.at(-1)!;
        expect(drop.members).toEqual(["node-a", "node-b"]);
        expect(drop.at - killedAt).toBeGreaterThan(300);
        expect(drop.at - killedAt).toBeLessThanOrEqual(400);
        expect(n.updates.at(-1)?.changes).toEqual([
          { node: "node-c", change: "departed", reason: "timeout", at: drop.at },
        ]);
      }
      await Promise.all(started.map((m) => m.stop()));
      started = [];
    }
  });

  test("leave(): the others drop the leaver at once; the leaver's own view is unchanged", async () => {
    const { clock, nodes } = await cluster();
    clock.advance(1050);
    const [a, b, c] = nodes as [Node, Node, Node];
    const leaving = c.m.leave();
    expect(last(a)).toEqual(["node-a", "node-b"]);
    expect(a.views.at(-1)?.at).toBe(1050);
    expect(a.updates.at(-1)?.changes).toEqual([
      { node: "node-c", change: "departed", reason: "left", at: 1050 },
    ]);
    clock.advance(20);
    await leaving;
    expect((await c.m.counters()).sent.leaving).toBe(3);
    expect((await a.m.counters()).dropped.replayed).toBe(0); // the copies have fresh sequences
    clock.advance(5000);
    expect(last(c)).toEqual(names);
    expect(last(b)).toEqual(["node-a", "node-b"]);
    expect((await c.m.counters()).sent.alive).toBe(11); // no alive beat after leave()
  });

  test("partition: each side keeps its own view; on heal both sides report the joins (re-announce)", async () => {
    const { hub, clock, nodes } = await cluster();
    const [a, b, c] = nodes as [Node, Node, Node];
    clock.advance(1000);
    hub.partition([["node-a", "node-b"], ["node-c"]]);
    clock.advance(1000);
    expect(last(a)).toEqual(["node-a", "node-b"]);
    expect(last(c)).toEqual(["node-c"]);
    hub.partition(undefined);
    const healedAt = clock.now();
    clock.advance(1000);
    expect(last(a)).toEqual(names);
    expect(last(c)).toEqual(names);
    const joinedAtA = a.updates.at(-1)!;
    expect(joinedAtA.changes).toEqual([
      { node: "node-c", change: "joined", reason: "revived", at: expect.any(Number) },
    ]);
    // the hold-down: steady beats for 400 ms before a departed node counts again
    expect(joinedAtA.changes[0]!.at - healedAt).toBeGreaterThanOrEqual(400);
    expect(joinedAtA.changes[0]!.at - healedAt).toBeLessThan(600);
    const joinsAtC = c.updates
      .flatMap((u) => u.changes)
      .filter((x) => x.change === "joined" && x.at >= healedAt);
    expect(joinsAtC.map((x) => x.node).sort()).toEqual(["node-a", "node-b"]);
    expect(b.views.length).toBe(3);
  });

  test("forged, replayed, truncated and unauthenticated packets are ignored and counted", async () => {
    const { hub, clock, nodes } = await cluster();
    clock.advance(1000);
    const a = nodes[0]!;
    const capturedFromB = hub.sent.filter((s) => s.from === "node-b").at(-1)!.bytes;
    const wrongKey = beatKeyFromSecret(new TextEncoder().encode("not our secret"));
    const forged = encodeBeat(
      { kind: "alive", node: "intruder", incarnation: 1, seq: 1, intervalMs: 100 },
      wrongKey,
    );
    const forgedLeave = encodeBeat(
      { kind: "leaving", node: "node-b", incarnation: 9e12, seq: 1, intervalMs: 100 },
      wrongKey,
    );
    hub.inject(forged);
    hub.inject(forgedLeave);
    hub.inject(capturedFromB);
    hub.inject(capturedFromB.subarray(0, 30));
    hub.inject(
      encodeBeat({ kind: "alive", node: "intruder", incarnation: 1, seq: 1, intervalMs: 100 }, undefined),
    );
    clock.advance(1000);
    const counters = await a.m.counters();
    expect(counters.dropped).toMatchObject({ forged: 2, replayed: 1, truncated: 1, unauthenticated: 1 });
    expect(last(a)).toEqual(names);
    expect(a.views.length).toBe(1);
    const warned = a.logs
      .filter((l) => l.level === "warn")
      .map((l) => (l.fields as { reason?: string }).reason);
    expect(warned).toEqual(["forged", "truncated", "unauthenticated"]); // once per reason per 10 s
  });

  test("a member without a key warns, and keyed and keyless members do not mix", async () => {
    const hub = new Hub();
    const clock = new ManualClock();
    const keyed = await node(hub, clock, "node-a");
    const keyless = await node(hub, clock, "node-b", { key: undefined });
    clock.advance(1000);
    expect(keyless.logs.some((l) => l.level === "warn" && /not authenticated/.test(l.msg))).toBe(true);
    expect(keyed.logs.some((l) => /not authenticated/.test(l.msg))).toBe(false);
    expect(last(keyed)).toEqual(["node-a"]);
    expect(last(keyless)).toEqual(["node-b"]);
    expect((await keyed.m.counters()).dropped.unauthenticated).toBeGreaterThan(5);
    expect((await keyless.m.counters()).dropped.unverifiable).toBeGreaterThan(5);
  });

  test("our own beats loop back and are counted as self, never as a member", async () => {
    const { clock, nodes } = await cluster();
    clock.advance(1000);
    const counters = await nodes[0]!.m.counters();
    expect(counters.dropped.self).toBe(counters.sent.alive);
    expect(counters.sent.alive).toBe(11);
    expect(counters.received.alive).toBe(2 * 11); // node-a started first: it heard every beat of b and c
  });

  test("a link that fails: sends are counted as failures and logged once, and recovery is logged", async () => {
    const { hub, clock, nodes } = await cluster();
    const c = nodes[2]!;
    clock.advance(500);
    hub.cut("node-c");
    clock.advance(1000);
    hub.heal("node-c");
    clock.advance(1000);
    const counters = await c.m.counters();
    expect(counters.sendFailures).toBe(10);
    const msgs = c.logs.filter((l) => /heartbeats/.test(l.msg)).map((l) => l.msg);
    expect(msgs).toEqual(["cannot send heartbeats (link down?)", "heartbeats are being sent again"]);
    expect(last(c)).toEqual(names); // it came back after the hold-down
  });

  test("stall guard: beats queued while our loop was stalled are read before anyone is declared dead", async () => {
    const hub = new Hub();
    const clockA = new ManualClock();
    const clockB = new ManualClock();
    const a = await node(hub, clockA, "node-a");
    const b = await node(hub, clockB, "node-b");
    const both = (ms: number) => {
      for (let i = 0; i < ms; i += 1) {
        clockA.advance(1);
        clockB.advance(1);
      }
    };
    both(1000);
    hub.hold("node-a");
    clockB.advance(900); // node-a's loop is stalled for 900 ms while node-b keeps beating
    clockA.stall(900); // node-a wakes: its late timers fire first...
    hub.release("node-a"); // ...then the queued beats are read
    both(1000);
    expect(a.views.map((v) => v.members)).toEqual([["node-a", "node-b"]]);
    const counters = await a.m.counters();
    expect(counters.stalls).toBe(1);
    expect(counters.maxStallMs).toBe(800);
    expect(a.logs.some((l) => /stalled/.test(l.msg))).toBe(true);
    expect(b.views.length).toBeGreaterThanOrEqual(1);
  });

  test("stop(): timers cleared, transport closed, observables completed; no beats afterwards", async () => {
    const { hub, clock, nodes } = await cluster();
    clock.advance(500);
    let completed = 0;
    for (const n of nodes) n.m.members$.subscribe({ complete: () => (completed += 1) });
    await Promise.all(nodes.map((n) => n.m.stop()));
    await Promise.all(nodes.map((n) => n.m.stop())); // idempotent
    expect(completed).toBe(3);
    expect(clock.pendingCount()).toBe(0);
    expect(hub.openPorts()).toEqual([]);
    const sent = hub.sent.length;
    clock.advance(1000);
    expect(hub.sent.length).toBe(sent);
  });

  test("start() rejects when the sockets cannot be opened, and a second start is refused", async () => {
    const hub = new Hub();
    const clock = new ManualClock();
    const m = new Membership({
      nodeName: "node-a",
      key: secret,
      bindAddress: "192.0.2.1",
      clock,
      transport: hub.attach("node-a", { failOpen: true }),
    });
    await expect(m.start()).rejects.toThrow(/EADDRINUSE/);
    expect(clock.pendingCount()).toBe(0);
    const ok = await node(hub, clock, "node-b");
    await expect(ok.m.start()).rejects.toThrow(/twice/);
  });

  test("options are validated, and nothing starts in the constructor", () => {
    const base = { nodeName: "node-a", key: secret, bindAddress: "192.0.2.1" };
    expect(() => new Membership({ ...base, nodeName: "Node_A" })).toThrow(/node name/);
    expect(() => new Membership({ ...base, deadAfterMs: 100 })).toThrow(/deadAfterMs/);
    expect(() => new Membership({ ...base, intervalMs: 0 })).toThrow(/intervalMs/);
    expect(() => new Membership({ ...base, key: new Uint8Array() })).toThrow(/empty/);
    const hub = new Hub();
    new Membership({ ...base, clock: new ManualClock(), transport: hub.attach("node-a") });
    expect(hub.openPorts()).toEqual([]);
  });

  test("beats carry this node's name, one incarnation and increasing sequences", async () => {
    const { hub, clock } = await cluster();
    clock.advance(1000);
    const key = beatKeyFromSecret(secret);
    const beats = hub.sent
      .filter((s) => s.from === "node-b")
      .map((s) => decodeBeat(s.bytes, key))
      .map((d) => (d.ok ? d.beat : undefined));
    expect(beats.every((b) => b?.node === "node-b" && b.kind === "alive" && b.intervalMs === 100)).toBe(true);
    expect(new Set(beats.map((b) => b?.incarnation)).size).toBe(1);
    expect(beats.map((b) => b?.seq)).toEqual(beats.map((_, i) => i + 1));
  });

  test("Prometheus families under metalbun_membership_*", async () => {
    const registry = new Registry();
    const { hub, clock } = await cluster();
    const watched = await node(hub, clock, "node-d", { metrics: membershipMetrics(registry) });
    clock.advance(1000);
    hub.inject(new Uint8Array([0x4d, 0x42, 0x48]));
    const text = await registry.metrics();
    expect(text).toContain('metalbun_membership_packets_sent_total{kind="alive"} 11');
    expect(text).toContain("metalbun_membership_members 4");
    expect(text).toContain('metalbun_membership_packets_dropped_total{reason="truncated"} 1');
    expect(text).toContain('metalbun_membership_packets_dropped_total{reason="self"} 11');
    expect(text).toMatch(/metalbun_membership_beat_gap_seconds_bucket\{le="0.1"\} [1-9]/);
    expect(watched.views.length).toBe(1);
  });
});
