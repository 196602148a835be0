/**
 * Membership on every announcing segment: the nodes get a second NIC (eth1 on 172.19.0.0/24, its
 * own bridge), a pool there and an L2Advertisement for it. Every speaker then beats on eth1's
 * segment too and reports whom it hears there. When the owner of an eth1 IP loses its switch port
 * (cut at the bridge: its eth1 stays up, only frames stop) the IP moves to a node heard on eth1,
 * while the same node keeps every IP of the first segment; explain names the cause. With beats on
 * the bind address's segment only (MetalLB's memberlist, and us before), that IP stays on a node
 * nobody on eth1 can reach.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { registerEndpoints } from "../cluster/endpoints.ts";
import { l2PoolManifest } from "../cluster/l2-pool.ts";
import { kubectlMetalbunExplain } from "../lab/explain-cli.ts";
import type { RunningOperator } from "../lab/operator.ts";
import { seededTestbedDown, seededTestbedUp } from "../lab/seeded-testbed.ts";
import { execIn } from "../net/exec.ts";
import {
  cutSegment2Port,
  restoreSegment2,
  SEGMENT2_IFNAME,
  SEGMENT2_PREFIX,
  segment2Answerer,
  segment2Up,
} from "../net/second-segment.ts";
import { NODES, WORKERS } from "../net/topology.ts";
import {
  answerer,
  createPoolService,
  createService,
  l2Statuses,
  ok,
  until,
  untilL2StatusNodes,
} from "./helpers.ts";

let op: RunningOperator | undefined;
const ALL_NODES = NODES.map((n) => n.name).sort();

/** What each speaker reports hearing on eth1's segment (its segmentMembersAlive condition). */
async function segmentReports(): Promise<Map<string, string>> {
  const text = await ok([
    "get",
    "configurationstates",
    "-n",
    "metallb-system",
    "-o",
    'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="segmentMembersAlive")].message}{"\\n"}{end}',
  ]);
  const reports = new Map<string, string>();
  for (const line of text.split("\n")) {
    const [name, message] = line.split("=");
    if (name?.startsWith("speaker-")) reports.set(name.slice("speaker-".length), message ?? "");
  }
  return reports;
}

/**
 * The one node that announces `ip` (Service seg2): the only one its ServiceL2Status objects name,
 * and the one answering mypc on eth1. Undefined while a handover is under way (two answer then).
 */
async function settledOwner(ip: string): Promise<string | undefined> {
  const nodes = (await l2Statuses("seg2"))
    .split("\n")
    .filter(Boolean)
    .map((line) => line.split(" ")[0]!);
  if (nodes.length !== 1) return undefined;
  return (await segment2Answerer(ip)) === nodes[0] ? nodes[0] : undefined;
}

beforeAll(async () => {
  op = await seededTestbedUp();
  await segment2Up();
  await ok(
    ["apply", "-f", "-"],
    l2PoolManifest("segment2", ["172.19.0.200-172.19.0.220"], [SEGMENT2_IFNAME]),
  );
}, 180_000);

afterAll(() => seededTestbedDown(op), 120_000);

test("every speaker beats on eth1's segment too, and reports hearing every node there", async () => {
  const expected = `${SEGMENT2_IFNAME} ${SEGMENT2_PREFIX}: ${ALL_NODES.join(",")}`;
  // The announcer finds eth1 at its next interface scan (every 10 s), then the segment warms up.
  const reports = await until(segmentReports, (r) => ALL_NODES.every((n) => r.get(n) === expected), 30_000);
  for (const node of ALL_NODES) expect(reports.get(node)).toBe(expected);
}, 60_000);

test("the owner's eth1 port cut: its eth1 IP moves to a node heard there, its first-segment IPs stay; explain says why; restored, it comes back", async () => {
  await registerEndpoints("default", "seg2", WORKERS);
  const ip = await createPoolService("seg2", "segment2");
  expect(ip.startsWith("172.19.0.")).toBe(true);
  const owner = await until(
    () => settledOwner(ip),
    (o) => o !== undefined,
    15_000,
  );
  expect(owner).toBeDefined();

  // First-segment Services until one is the same node's: it must not move.
  const firstSegment = new Map<string, string>();
  for (let i = 0; i < 16 && ![...firstSegment.values()].includes(owner!); i++) {
    const mainIp = await createService(
      `main-${i}`,
      "Cluster",
      WORKERS.map((w) => w.name),
    );
    const mainOwner = await until(
      () => answerer(mainIp),
      (o) => o !== undefined,
      15_000,
    );
    firstSegment.set(mainIp, mainOwner!);
  }
  expect([...firstSegment.values()]).toContain(owner!);

  const cutAt = performance.now();
  const cutAtWall = Date.now();
  await cutSegment2Port(owner!);
  try {
    const successor = await until(
      () => segment2Answerer(ip),
      (o) => o !== undefined && o !== owner,
      10_000,
    );
    const movedMs = Math.round(performance.now() - cutAt);
    console.log(
      `segment 2 IP ${ip}: ${owner} -> ${successor} in ${movedMs} ms (arping, 1 s per unanswered try)`,
    );
    expect(successor).toBeDefined();
    expect(successor).not.toBe(owner);
    // When the successor's speaker took it over, from its own log (`took over`, with the IPs).
    const takeover = op!.speakers
      .get(successor!)!
      .stdout()
      .split("\n")
      .filter((line) => line.includes('"took over"') && line.includes(ip))
      .map((line) => JSON.parse(line) as { time: string | number })
      .map((entry) => (typeof entry.time === "number" ? entry.time : Date.parse(entry.time)))
      .find((at) => at >= cutAtWall);
    expect(takeover).toBeDefined();
    console.log(`${successor}'s speaker took ${ip} over ${takeover! - cutAtWall} ms after the cut`);
    // Detection (at most 400 ms of silence) and a reconcile: far below anything a hold timer gives.
    expect(takeover! - cutAtWall).toBeLessThan(2_000);
    for (const [mainIp, mainOwner] of firstSegment) expect(await answerer(mainIp)).toBe(mainOwner);

    const explained = await until(
      () => kubectlMetalbunExplain(["svc/seg2", "-o", "json"]),
      (a) => a.stdout.includes("notHeardOnSegment"),
      15_000,
    );
    const rows = (JSON.parse(explained.stdout) as { nodes: { node: string; layer2?: { code: string } }[] })
      .nodes;
    expect(rows.find((r) => r.node === owner)?.layer2?.code).toBe("notHeardOnSegment");
    expect(rows.find((r) => r.node === successor)?.layer2?.code).toBe("announces");
  } finally {
    await restoreSegment2();
  }
  // Heard again after the hold-down: the election gives the IP back (revertive, as MetalLB).
  expect(
    await until(
      () => segment2Answerer(ip),
      (o) => o === owner,
      15_000,
    ),
  ).toBe(owner);
  for (const [mainIp, mainOwner] of firstSegment) expect(await answerer(mainIp)).toBe(mainOwner);
}, 180_000);

test("the owner's own eth1 goes down: the others take its eth1 IP, and it stops claiming it (ServiceL2Status) instead of falling back to the first segment's election", async () => {
  const ip = (await ok(["get", "svc", "seg2", "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}"])).trim();
  const owner = await until(
    () => settledOwner(ip),
    (o) => o !== undefined,
    15_000,
  );
  expect(owner).toBeDefined();
  await execIn(owner!, ["ip", "link", "set", SEGMENT2_IFNAME, "down"]);
  try {
    const successor = await until(
      () => segment2Answerer(ip),
      (o) => o !== undefined && o !== owner,
      10_000,
    );
    expect(successor).toBeDefined();
    expect(successor).not.toBe(owner);
    // The owner's announcer drops eth1 at its next scan (10 s); from then on it hears nobody there.
    expect(await untilL2StatusNodes("seg2", successor!, 30_000)).toBe(successor!);
  } finally {
    await execIn(owner!, ["ip", "link", "set", SEGMENT2_IFNAME, "up"]);
  }
  // Back up: found at the next scan, warmed up, heard again: the IP returns.
  expect(
    await until(
      () => settledOwner(ip),
      (o) => o === owner,
      30_000,
    ),
  ).toBe(owner);
}, 120_000);
