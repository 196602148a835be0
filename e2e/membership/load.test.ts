/**
 * Membership under load, on the real segment: packets per second at 4 nodes, 30 s of busy CPU
 * without a false death, a blocked main thread (why the engine runs in a Worker), and 250 nodes'
 * worth of heartbeats (4 real members + 246 simulated from mypc) with the CPU each member spends.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { encodeBeat, HEADER_BYTES, TAG_BYTES } from "../../operator/src/membership/packet.ts";
import { netDown, netDownOnSignals, netUp, spawnIn } from "../net/testbed.ts";
import { CLIENT, NODES } from "../net/topology.ts";
import {
  BLASTER_SCRIPT,
  BROADCAST,
  type MemberProc,
  NODE_NAMES,
  report,
  SECRET,
  startMember,
  waitAllSee,
  wallNow,
} from "./support.ts";

let members: MemberProc[] = [];
const burners: Array<{ pid: number; exited: Promise<number> }> = [];

beforeAll(async () => {
  netDownOnSignals();
  await netUp();
  members = NODES.map((n) => startMember(n, { MB_BLOCK_MS: "1500" }));
  await waitAllSee(members, NODE_NAMES, 15_000);
}, 660_000);

afterAll(async () => {
  for (const b of burners) {
    try {
      process.kill(b.pid, "SIGKILL");
    } catch {
      // gone
    }
    await b.exited;
  }
  await Promise.all(members.map((m) => m.kill()));
  await netDown();
}, 60_000);

const CLK_TCK = 100;
/** CPU time (user + system, all threads) of a process so far, in ms. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLK_TCK;
}

/** Membership changes any member reported after `after`. */
function changesSince(after: number): string[] {
  return members.flatMap((m) =>
    m
      .changes()
      .filter((c) => c.t > after)
      .map((c) => `${m.node.name}: ${c.node} ${c.change} (${c.reason})`),
  );
}

test("packets per second per node at 4 nodes", async () => {
  const before = await Promise.all(members.map((m) => m.counters()));
  const cpuBefore = members.map((m) => cpuMs(m.pid));
  const from = wallNow();
  await Bun.sleep(10_000);
  const after = await Promise.all(members.map((m) => m.counters()));
  const seconds = (wallNow() - from) / 1000;
  const perNode = members.map((m, i) => {
    const b = before[i]!;
    const a = after[i]!;
    const beatBytes = HEADER_BYTES + m.node.name.length + TAG_BYTES;
    return {
      node: m.node.name,
      sentPerSec: Math.round(((a.sent.alive - b.sent.alive) / seconds) * 10) / 10,
      receivedFromPeersPerSec: Math.round(((a.received.alive - b.received.alive) / seconds) * 10) / 10,
      ownEchoPerSec: Math.round(((a.dropped.self - b.dropped.self) / seconds) * 10) / 10,
      beatBytes,
      cpuPct: Math.round(((cpuMs(m.pid) - cpuBefore[i]!) / (seconds * 1000)) * 1000) / 10,
    };
  });
  report("packets_per_second_at_4_nodes", { perNode });
  for (const p of perNode) {
    expect(p.sentPerSec).toBeGreaterThan(9);
    expect(p.sentPerSec).toBeLessThan(11);
    expect(p.receivedFromPeersPerSec).toBeGreaterThan(27);
    expect(p.receivedFromPeersPerSec).toBeLessThan(33);
  }
  expect(changesSince(from)).toEqual([]);
}, 60_000);

test("30 s with every core busy in other processes: no false death, and the largest gap between beats", async () => {
  const burnerCount = Number(process.env.MB_E2E_BURNERS ?? navigator.hardwareConcurrency);
  for (let i = 0; i < burnerCount; i += 1) {
    const burner = spawnIn(NODES[i % NODES.length]!.name, [process.execPath, "-e", "for (;;) {}"]);
    burners.push({ pid: burner.pid, exited: burner.exited });
  }
  const before = await Promise.all(members.map((m) => m.counters()));
  const from = wallNow();
  await Bun.sleep(30_000);
  const after = await Promise.all(members.map((m) => m.counters()));
  for (const b of burners.splice(0)) {
    process.kill(b.pid, "SIGKILL");
    await b.exited;
  }
  const maxGapMs = Math.max(...after.flatMap((c) => Object.values(c.maxGapMs)));
  const stalls = after.reduce((n, c, i) => n + c.stalls - before[i]!.stalls, 0);
  const gapCounts: Record<string, number> = {};
  for (const [i, c] of after.entries()) {
    for (const [bucket, n] of Object.entries(c.gapCounts)) {
      gapCounts[`<=${bucket}`] =
        (gapCounts[`<=${bucket}`] ?? 0) + n - (before[i]!.gapCounts[bucket as "150"] ?? 0);
    }
  }
  report("busy_cpu_30s", {
    burners: burnerCount,
    cores: navigator.hardwareConcurrency,
    falseDeaths: changesSince(from).length,
    maxGapBetweenBeatsMs: Math.round(maxGapMs * 10) / 10,
    gapCounts,
    ownLoopStalls: stalls,
  });
  expect(changesSince(from)).toEqual([]);
  expect(maxGapMs).toBeLessThan(400);
}, 90_000);

test("a main thread blocked for 1.5 s does not stop the beats (Worker); inline it would", async () => {
  const victim = members[3]!;
  const from = wallNow();
  victim.signal("SIGUSR1"); // blocks its main thread for MB_BLOCK_MS = 1500
  await victim.waitFor((e) => e.type === "blocked" && e.t > from, 5000, "block");
  await Bun.sleep(500);
  expect(changesSince(from)).toEqual([]);

  // The same block with the engine on the main thread: the others declare it dead.
  await victim.kill();
  members[3] = startMember(NODES[3]!, { MB_THREAD: "inline", MB_BLOCK_MS: "1500" });
  await waitAllSee(members, NODE_NAMES, 10_000);
  const inlineFrom = wallNow();
  members[3]!.signal("SIGUSR1");
  await members[3]!.waitFor((e) => e.type === "blocked" && e.t > inlineFrom, 5000, "block");
  await waitAllSee(members, NODE_NAMES, 10_000);
  const inlineChanges = changesSince(inlineFrom);
  report("main_thread_block_1500ms", {
    worker: { changes: 0 },
    inline: { changes: inlineChanges.length, sample: inlineChanges.slice(0, 4) },
  });
  expect(inlineChanges.some((c) => c.includes(`${NODES[3]!.name} departed (timeout)`))).toBe(true);

  await members[3]!.kill();
  members[3] = startMember(NODES[3]!, { MB_BLOCK_MS: "1500" });
  await waitAllSee(members, NODE_NAMES, 10_000);
}, 60_000);

test("250 nodes' heartbeats (246 simulated from mypc): everyone tracked, no flap, CPU per packet", async () => {
  const simulated = 246;
  const seconds = 20;
  const idleCpu = members.map((m) => cpuMs(m.pid));
  await Bun.sleep(5000);
  const idleCpuPct = members.map((m, i) => (cpuMs(m.pid) - idleCpu[i]!) / 50);
  const blaster = spawnIn(CLIENT.name, [
    process.execPath,
    BLASTER_SCRIPT,
    CLIENT.ipv4,
    BROADCAST,
    "7946",
    String(simulated),
    String(seconds),
    SECRET,
  ]);
  const everyone = [
    ...NODE_NAMES,
    ...Array.from({ length: simulated }, (_, i) => `sim-${String(i).padStart(3, "0")}`),
  ];
  await waitAllSee(members, everyone, 5000);
  await Bun.sleep(1000);
  const before = await Promise.all(members.map((m) => m.counters()));
  const cpuBefore = members.map((m) => cpuMs(m.pid));
  const from = wallNow();
  await Bun.sleep(8000);
  const after = await Promise.all(members.map((m) => m.counters()));
  const window = (wallNow() - from) / 1000;
  const perMember = members.map((m, i) => {
    const received = after[i]!.received.alive - before[i]!.received.alive;
    const cpu = cpuMs(m.pid) - cpuBefore[i]!;
    return {
      node: m.node.name,
      receivedPerSec: Math.round(received / window),
      cpuPct: Math.round((cpu / (window * 1000)) * 1000) / 10,
      idleCpuPctAt4: Math.round(idleCpuPct[i]! * 10) / 10,
      usPerPacket: Math.round(((cpu - idleCpuPct[i]! * window * 10) * 1000) / Math.max(1, received)),
    };
  });
  const changesDuringLoad = changesSince(from);
  expect(await blaster.exited).toBe(0);
  const stoppedAt = wallNow();
  const blasterOut = readFileSync(blaster.record.stdoutFile, "utf8").trim();
  const beatBytes = encodeBeat(
    { kind: "alive", node: "myk8s-control-plane", incarnation: 1, seq: 1, intervalMs: 100 },
    undefined,
  ).length;
  // the simulated nodes stopped: every member drops all 246 within a second, and only them
  await waitAllSee(members, NODE_NAMES, 3000);
  const drops = members.flatMap((m) => m.changes().filter((c) => c.t > from && c.change === "departed"));
  report("load_250_nodes", {
    perMember,
    blaster: JSON.parse(blasterOut || "{}"),
    changesDuringWindow: changesDuringLoad.length,
    wireBytesPerLinkPerSec: Math.round(250 * 10 * (beatBytes + TAG_BYTES + 8 + 20 + 14 + 4)),
    dropAfterStopMs: Math.round(Math.max(...drops.map((c) => c.t)) - stoppedAt),
  });
  expect(changesDuringLoad).toEqual([]);
  for (const p of perMember) expect(p.receivedPerSec).toBeGreaterThan(2000);
  expect(drops.length).toBe(4 * simulated);
  expect(drops.every((c) => c.node.startsWith("sim-") && c.reason === "timeout")).toBe(true);
}, 90_000);
