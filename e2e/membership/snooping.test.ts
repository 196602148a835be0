/**
 * Membership on a bridge with IGMP/MLD snooping on (a switch that forwards multicast only to ports
 * that asked for it): the default destinations (IPv4 subnet broadcast, IPv6 ff02::1) and an
 * IPv4 link-local group (224.0.0.x, flooded per RFC 4541) still reach every node, and a dead node is
 * still dropped in < 1 s. A joined IPv6 group (ff02::7946) works on this bridge too (Linux floods
 * while it has seen no MLD querier, and learns the joins otherwise); a hardware switch with a
 * querier and short timers might not, which is why ff02::1 is the IPv6 default.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { run } from "../net/run.ts";
import { netDown, netDownOnSignals, netUp } from "../net/testbed.ts";
import { BRIDGE_NAME, BRIDGE_NAMESPACE, NODES } from "../net/topology.ts";
import {
  type MemberEnv,
  type MemberEvent,
  type MemberProc,
  NODE_NAMES,
  report,
  startMember,
  summary,
  waitAllSee,
} from "./support.ts";

let members: MemberProc[] = [];

beforeAll(async () => {
  netDownOnSignals();
  await netUp({ multicastSnooping: true });
  const br = await run(["ip", "-n", BRIDGE_NAMESPACE, "-d", "-j", "link", "show", BRIDGE_NAME]);
  const info = JSON.parse(br.stdout) as Array<{ linkinfo: { info_data: { mcast_snooping: number } } }>;
  expect(info[0]?.linkinfo.info_data.mcast_snooping).toBe(1);
}, 660_000);

afterAll(async () => {
  await Promise.all(members.map((m) => m.kill()));
  await netDown();
}, 60_000);

const departedAfter = (node: string, after: number) => (e: MemberEvent) =>
  e.t > after && (e.changes ?? []).some((c) => c.node === node && c.change === "departed");

/** Starts 4 members with env(node), checks all see all, kills 4 victims in turn; returns detections. */
async function scenario(name: string, envOf: (i: number) => MemberEnv): Promise<number[]> {
  members = NODES.map((n, i) => startMember(n, envOf(i)));
  await waitAllSee(members, NODE_NAMES, 10_000);
  const detections: number[] = [];
  for (let i = 0; i < NODES.length; i += 1) {
    const victim = members[i]!;
    await Bun.sleep(Math.random() * 100);
    const killedAt = victim.signal("SIGKILL");
    await victim.exited;
    for (const o of members.filter((m) => m !== victim)) {
      const e = await o.waitFor(
        departedAfter(victim.node.name, killedAt),
        3000,
        `drop of ${victim.node.name}`,
      );
      detections.push(e.t - killedAt);
    }
    members[i] = startMember(NODES[i]!, envOf(i));
    await waitAllSee(members, NODE_NAMES, 10_000);
  }
  await Promise.all(members.map((m) => m.kill()));
  members = [];
  report(`snooping_${name}_detection_ms`, summary(detections));
  return detections;
}

test("IPv4 subnet broadcast (default): all see all; SIGKILL detected in < 1 s", async () => {
  for (const d of await scenario("ipv4_broadcast", () => ({}))) expect(d).toBeLessThan(1000);
}, 120_000);

test("IPv4 link-local multicast group 224.0.0.120: all see all; SIGKILL detected in < 1 s", async () => {
  for (const d of await scenario("ipv4_224_0_0_120", () => ({ MB_BROADCAST: "224.0.0.120" })))
    expect(d).toBeLessThan(1000);
}, 120_000);

test("IPv6 ff02::1 (default for an IPv6 bind address): all see all; SIGKILL detected in < 1 s", async () => {
  for (const d of await scenario("ipv6_ff02_1", (i) => ({ MB_BIND: NODES[i]!.ipv6 })))
    expect(d).toBeLessThan(1000);
}, 120_000);

test("IPv6 group ff02::7946 (joined with MLD on the interface): all see all; SIGKILL detected in < 1 s", async () => {
  const detections = await scenario("ipv6_ff02_7946", (i) => ({
    MB_BIND: NODES[i]!.ipv6,
    MB_BROADCAST: "ff02::7946",
  }));
  for (const d of detections) expect(d).toBeLessThan(1000);
}, 120_000);
