/**
 * BFD end to end on real nodes against FRR's bfdd: every speaker pod's BGPPeer names a BFDProfile
 * (300 ms x 3, MetalLB's defaults), FRR's peer-group has `bfd`, and the BGP hold time is 30 s, so
 * any failover faster than that is BFD's doing. myk8s-worker3 peers through a BGPPeer with
 * ebgpMultiHop, so its BFD session is multihop (RFC 5883, UDP 4784) at both ends; FRR knows
 * myk8s-worker2 as a configured neighbour, the others as dynamic ones of a listen range. A node killed
 * hard (single hop and multihop) leaves the router's ECMP route in about a second; the router
 * killed hard, or its link cut so that no FIN or RST ever arrives, makes every speaker reset its
 * BGP session within BFD's detection time (Cease 6/10), and `kubectl metalbun explain` then names
 * the sessions down as the cause; a BFDProfile change goes through a poll sequence without a down;
 * a deleted speaker pod says AdminDown first (RFC 5882 §3.2), which FRR shows.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { allWorkerHops, everyBfdUpAtFrr, frrBfdPeersByAddress } from "../bench/bgp-sessions.ts";
import { until } from "../bench/report.ts";
import { kubectlMetalbunExplain } from "../lab/explain-cli.ts";
import { execIn } from "../net/exec.ts";
import { type Member, NODES, nodeNamed, ROUTER } from "../net/topology.ts";
import { killNode, restartNode } from "../nodes/real-cluster.ts";
import { deleteSpeakerPod, followSpeakerLog, runningSpeaker, speakerBack } from "../nodes/speaker-pods.ts";
import type { FrrListenRange, FrrPeerSettings } from "../peers/frr-config.ts";
import { frrBfdCounters, frrBgpDrops, frrNeighbors } from "../peers/frr-query.ts";
import { waitFor } from "../peers/wait.ts";
import { bfdDownLogged, everySpeakerBfdDown } from "./bfd-logs.ts";
import { createLbService } from "./services.ts";
import {
  aBfdProfile,
  aBgpAdvertisement,
  aBgpPeer,
  apply,
  type BgpTestbed,
  bgpTestbedDown,
  bgpTestbedUp,
  kernelNextHops,
  routerSpec,
} from "./support.ts";

let bed: BgpTestbed | undefined;
/** Its BGPPeer has ebgpMultiHop: its BFD session is multihop (RFC 5883, UDP 4784), FRR's too. */
const MULTIHOP_NODE = nodeNamed("myk8s-worker3");
/** A configured (not dynamic) neighbour at FRR, whose BFD session outlives its BGP session there. */
const STATIC_NODE = nodeNamed("myk8s-worker2");
let vip = "";

/** The bench's wait: every worker a next hop of the Service's route in the router's kernel. */
const everyHop = (timeoutMs = 30_000) => allWorkerHops(`${vip}/32`, timeoutMs);

beforeAll(async () => {
  const settings = (extra: Partial<FrrPeerSettings> = {}): FrrPeerSettings => ({
    remoteAs: "external",
    timers: { keepaliveS: 10, holdS: 30 },
    connectRetryS: 1,
    families: ["ipv4"],
    bfd: true,
    ...extra,
  });
  const group = (
    name: string,
    nodes: readonly Member[],
    extra: Partial<FrrPeerSettings> = {},
  ): FrrListenRange => ({
    kind: "range",
    name,
    ranges: nodes.map((n) => `${n.ipv4}/32`),
    ...settings(extra),
  });
  const singleHop = NODES.filter((n) => n.name !== MULTIHOP_NODE.name && n.name !== STATIC_NODE.name);
  // A dynamic neighbour's BFD session leaves bfdd with the BGP session, and FRR 8.4 resets that
  // session as soon as our AdminDown arrives: only a configured neighbour keeps the AdminDown to show.
  bed = await bgpTestbedUp(
    routerSpec({
      neighbors: [
        group("NODES", singleHop),
        { kind: "static", address: STATIC_NODE.ipv4, ...settings() },
        group("MULTIHOP", [MULTIHOP_NODE], { ebgpMultihop: 255 }),
      ],
    }),
    { bfd: true },
  );
  const onMultihopNode = { key: "kubernetes.io/hostname", values: [MULTIHOP_NODE.name] };
  await apply(
    aBfdProfile("fast"),
    aBgpPeer("router", {
      holdTime: "30s",
      connectTime: "2s",
      bfdProfile: "fast",
      nodeSelectors: [{ matchExpressions: [{ ...onMultihopNode, operator: "NotIn" }] }],
    }),
    aBgpPeer("router-multihop", {
      holdTime: "30s",
      connectTime: "2s",
      bfdProfile: "fast",
      ebgpMultiHop: true,
      nodeSelectors: [{ matchExpressions: [{ ...onMultihopNode, operator: "In" }] }],
    }),
    aBgpAdvertisement("bgp-adv"),
  );
  [vip] = (await createLbService("svc")) as [string];
  await everyHop();
}, 900_000);

afterAll(() => bgpTestbedDown(bed), 120_000);

test("every speaker's BFD session is up at FRR with the profile's 300 ms x 3; the speaker's metrics say so", async () => {
  const peers = await everyBfdUpAtFrr();
  for (const n of NODES) {
    expect(peers.get(n.ipv4)).toMatchObject({
      remoteReceiveIntervalMs: 300,
      remoteTransmitIntervalMs: 300,
      remoteDetectMultiplier: 3,
      multihop: n.name === MULTIHOP_NODE.name,
    });
  }
  const worker = nodeNamed("myk8s-worker");
  const metrics = await execIn(worker.name, ["curl", "-s", "-m", "2", `http://${worker.ipv4}:9120/metrics`]);
  expect(metrics.stdout).toContain(`metallb_bfd_session_up{peer="${ROUTER.ipv4}",vrf="default"} 1`);
  expect(metrics.stdout).toMatch(
    new RegExp(`metallb_bfd_control_packet_input\\{peer="${ROUTER.ipv4}",vrf="default"\\} [1-9]`),
  );
  // The BGP hold time is the 30 s both sides asked for: only BFD can be faster.
  expect((await frrNeighbors(ROUTER.name)).get(worker.ipv4)?.holdTimeMs).toBe(30_000);
  // And a user asking why the Service is reachable hears that all is well.
  const explained = await until(
    () => kubectlMetalbunExplain(["svc/svc"]),
    (a) => a.exitCode === 0,
    15_000,
    250,
  );
  expect(explained.firstLine).toContain("announced as decided");
}, 60_000);

test("a BFDProfile change reaches FRR through a poll sequence (RFC 5880 §6.8.3): new timers, no session down, no BGP reset", async () => {
  await everyBfdUpAtFrr();
  const downBefore = await frrBfdCounters(ROUTER.name);
  const dropsBefore = await frrBgpDrops(ROUTER.name);
  try {
    await apply({
      ...aBfdProfile("fast"),
      spec: { receiveInterval: 100, transmitInterval: 100, detectMultiplier: 5 },
    });
    await waitFor(
      async () => {
        const peers = await frrBfdPeersByAddress();
        return NODES.every((n) => {
          const p = peers.get(n.ipv4);
          return p?.status === "up" && p.remoteTransmitIntervalMs === 100 && p.remoteDetectMultiplier === 5;
        })
          ? true
          : undefined;
      },
      {
        what: "every speaker's new timers (100 ms x 5) at FRR",
        timeoutMs: 15_000,
        describe: async () => JSON.stringify([...(await frrBfdPeersByAddress()).values()]),
      },
    );
  } finally {
    await apply(aBfdProfile("fast"));
  }
  await waitFor(
    async () =>
      [...(await frrBfdPeersByAddress()).values()].every((p) => p.remoteTransmitIntervalMs === 300)
        ? true
        : undefined,
    { what: "every speaker back at 300 ms", timeoutMs: 15_000 },
  );
  const downAfter = await frrBfdCounters(ROUTER.name);
  for (const n of NODES) expect(downAfter.get(n.ipv4)?.sessionDown).toBe(downBefore.get(n.ipv4)?.sessionDown);
  expect(await frrBgpDrops(ROUTER.name)).toEqual(dropsBefore);
}, 60_000);

for (const [victimName, kind] of [
  ["myk8s-worker2", "single hop"],
  [MULTIHOP_NODE.name, "multihop"],
] as const) {
  test(`a node killed hard (${kind} BFD) leaves the router's ECMP route within BFD's detection time, not the 30 s hold`, async () => {
    const victim = nodeNamed(victimName);
    await everyBfdUpAtFrr();
    const killedAt = performance.now();
    await killNode(victim);
    await waitFor(
      async () => ((await kernelNextHops(`${vip}/32`)).includes(victim.ipv4) ? undefined : true),
      {
        what: "the dead node's next hop gone",
        timeoutMs: 10_000,
        intervalMs: 10,
      },
    );
    const goneMs = performance.now() - killedAt;
    console.log(`next hop gone ${goneMs.toFixed(0)} ms after the node was killed (${kind})`);
    // 3 x 300 ms of silence, less the time since the node's last packet, plus FRR's and the kernel's work.
    expect(goneMs).toBeLessThan(2_000);
    expect((await frrBfdPeersByAddress()).get(victim.ipv4)?.status).not.toBe("up");
    await restartNode(victim);
    await everyBfdUpAtFrr(60_000);
    await everyHop(60_000);
  }, 180_000);
}

test("the router killed hard: every speaker's BFD goes Down and resets its BGP session (Cease 6/10); FRR back, all comes back", async () => {
  await everyBfdUpAtFrr();
  const killedAt = Date.now();
  await bed!.frr.killHard();
  const logged = await bfdDownLogged("myk8s-worker", killedAt);
  expect(logged.name).toBe("router");
  expect(logged.diag).toBe("controlDetectionTimeExpired");
  console.log(`speaker's BFD down ${logged.atMs - killedAt} ms after the router was killed`);
  expect(logged.atMs - killedAt).toBeLessThan(2_000);
  await bed!.frr.restart();
  await everyBfdUpAtFrr(60_000);
  await everyHop(60_000);
}, 180_000);

test("the router's link cut (no FIN, no RST): every speaker's BFD detects it in about a second, not at the 30 s hold", async () => {
  await everyBfdUpAtFrr();
  const cutAt = Date.now();
  await execIn(ROUTER.name, ["ip", "link", "set", ROUTER.ifname, "down"]);
  try {
    const lines = await everySpeakerBfdDown(NODES, cutAt, "the router's link was cut");
    for (const [node, logged] of lines) {
      expect(logged.name).toBe(node === MULTIHOP_NODE.name ? "router-multihop" : "router");
      expect(logged.diag).toBe("controlDetectionTimeExpired");
      expect(logged.atMs - cutAt).toBeLessThan(2_000);
    }
    // `kubectl metalbun explain` names the cause from the speakers' reports.
    const explained = await until(
      () => kubectlMetalbunExplain(["svc/svc"]),
      (a) => a.firstLine.includes("every BGP session"),
      15_000,
      250,
    );
    expect(explained.exitCode).toBe(1);
    expect(explained.firstLine).toContain("every BGP session it would be announced on is down");
  } finally {
    await execIn(ROUTER.name, ["ip", "link", "set", ROUTER.ifname, "up"]);
  }
  await everyBfdUpAtFrr(60_000);
  await everyHop(60_000);
}, 180_000);

test("a deleted speaker pod says AdminDown before it leaves: FRR's BFD peer shows 'administratively down'", async () => {
  await everyBfdUpAtFrr();
  const victim = STATIC_NODE;
  const speaker = await runningSpeaker(victim.name);
  const log = await followSpeakerLog(speaker);
  const deletedAt = Date.now();
  // Every state FRR showed on the way, so that a failure says what happened and when.
  const states: string[] = [];
  try {
    await deleteSpeakerPod(speaker);
    const seen = await waitFor(
      async () => {
        const p = (await frrBfdPeersByAddress()).get(victim.ipv4);
        if (p)
          states.push(
            `+${Date.now() - deletedAt} ms ${p.status} diag=${p.diagnostic} remote=${p.remoteDiagnostic}`,
          );
        return p && p.status !== "up" ? p : undefined;
      },
      { what: "the victim's BFD session down at FRR", timeoutMs: 30_000, intervalMs: 50 },
    );
    if (seen.remoteDiagnostic !== "administratively down") {
      console.log(`FRR's peer after the delete:\n${states.slice(-10).join("\n")}`);
      console.log(`the speaker's log:\n${log.lines().join("\n")}`);
    }
    expect(seen.remoteDiagnostic).toBe("administratively down");
  } finally {
    log.stop();
  }
  await speakerBack(speaker);
  await everyBfdUpAtFrr(60_000);
  await everyHop(60_000);
}, 180_000);
