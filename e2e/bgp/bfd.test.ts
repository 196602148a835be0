/**
 * BFD end to end on real nodes against FRR's bfdd: every speaker pod's BGPPeer names a BFDProfile
 * (300 ms x 3, MetalLB's defaults), FRR's peer-group has `bfd`, and the BGP hold time is 30 s, so
 * any failover faster than that is BFD's doing. A node killed hard leaves the router's ECMP route
 * in about a second; the router killed hard makes every speaker reset its BGP session at once
 * (Cease 6/10); a deleted speaker pod says AdminDown first (RFC 5882 §3.2), which FRR shows.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { allWorkerHops } from "../bench/bgp-sessions.ts";
import { kubectl } from "../cluster/cluster.ts";
import { execIn } from "../net/exec.ts";
import { NODES, nodeNamed, ROUTER } from "../net/topology.ts";
import { killNode, restartNode } from "../nodes/real-cluster.ts";
import { deleteSpeakerPod, runningSpeaker, speakerBack } from "../nodes/speaker-pods.ts";
import { type FrrBfdPeer, frrBfdPeers, frrNeighbors } from "../peers/frr-query.ts";
import { waitFor } from "../peers/wait.ts";
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
  NAMESPACE,
  routerSpec,
} from "./support.ts";

let bed: BgpTestbed | undefined;
let vip = "";

async function bfdPeers(): Promise<Map<string, FrrBfdPeer>> {
  return new Map((await frrBfdPeers(ROUTER.name)).map((p) => [p.peer, p]));
}

async function everyBfdUp(timeoutMs = 30_000): Promise<Map<string, FrrBfdPeer>> {
  return waitFor(
    async () => {
      const peers = await bfdPeers();
      return NODES.every((n) => peers.get(n.ipv4)?.status === "up") ? peers : undefined;
    },
    {
      what: "every node's BFD session up at FRR",
      timeoutMs,
      describe: async () => JSON.stringify([...(await bfdPeers()).values()]),
    },
  );
}

/** The bench's wait: every worker a next hop of the Service's route in the router's kernel. */
const everyHop = (timeoutMs = 30_000) => allWorkerHops(`${vip}/32`, timeoutMs);

beforeAll(async () => {
  bed = await bgpTestbedUp(
    routerSpec({
      neighbors: [
        {
          kind: "range",
          name: "NODES",
          ranges: ["172.18.0.0/24"],
          remoteAs: "external",
          timers: { keepaliveS: 10, holdS: 30 },
          connectRetryS: 1,
          families: ["ipv4"],
          bfd: true,
        },
      ],
    }),
    { bfd: true },
  );
  await apply(
    aBfdProfile("fast"),
    aBgpPeer("router", { holdTime: "30s", connectTime: "2s", bfdProfile: "fast" }),
    aBgpAdvertisement("bgp-adv"),
  );
  [vip] = (await createLbService("svc")) as [string];
  await everyHop();
}, 900_000);

afterAll(() => bgpTestbedDown(bed), 120_000);

test("every speaker's BFD session is up at FRR with the profile's 300 ms x 3; the speaker's metrics say so", async () => {
  const peers = await everyBfdUp();
  for (const n of NODES) {
    expect(peers.get(n.ipv4)).toMatchObject({
      remoteReceiveIntervalMs: 300,
      remoteTransmitIntervalMs: 300,
      remoteDetectMultiplier: 3,
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
}, 60_000);

test("a node killed hard leaves the router's ECMP route within BFD's detection time, not the 30 s hold", async () => {
  const victim = nodeNamed("myk8s-worker3");
  await everyBfdUp();
  const killedAt = performance.now();
  await killNode(victim);
  await waitFor(async () => ((await kernelNextHops(`${vip}/32`)).includes(victim.ipv4) ? undefined : true), {
    what: "the dead node's next hop gone",
    timeoutMs: 10_000,
    intervalMs: 10,
  });
  const goneMs = performance.now() - killedAt;
  console.log(`next hop gone ${goneMs.toFixed(0)} ms after the node was killed`);
  // 3 x 300 ms of silence, less the time since the node's last packet, plus FRR's and the kernel's work.
  expect(goneMs).toBeLessThan(2_000);
  await restartNode(victim);
  await everyBfdUp(60_000);
  await everyHop(60_000);
}, 180_000);

test("the router killed hard: every speaker's BFD goes Down and resets its BGP session (Cease 6/10); FRR back, all comes back", async () => {
  await everyBfdUp();
  const killedAt = Date.now();
  await bed!.frr.killHard();
  const worker = nodeNamed("myk8s-worker");
  const speaker = await runningSpeaker(worker.name);
  const line = await waitFor(
    async () => {
      const r = await kubectl(["logs", "-n", NAMESPACE, speaker.pod, "--since=60s"]);
      return r.stdout.split("\n").find((l) => l.includes("BFD session down: resetting the BGP session"));
    },
    { what: "the speaker logging its BFD session down", timeoutMs: 15_000, intervalMs: 200 },
  );
  const logged = JSON.parse(line) as { time: number | string; diag: string; name: string };
  expect(logged.name).toBe("router");
  expect(logged.diag).toBe("controlDetectionTimeExpired");
  const loggedAt = typeof logged.time === "number" ? logged.time : Date.parse(logged.time);
  console.log(`speaker's BFD down ${loggedAt - killedAt} ms after the router was killed`);
  expect(loggedAt - killedAt).toBeLessThan(2_000);
  await bed!.frr.restart();
  await everyBfdUp(60_000);
  await everyHop(60_000);
}, 180_000);

test("a deleted speaker pod says AdminDown before it leaves: FRR's BFD peer shows 'administratively down'", async () => {
  await everyBfdUp();
  const victim = nodeNamed("myk8s-worker2");
  const speaker = await runningSpeaker(victim.name);
  await deleteSpeakerPod(speaker);
  const seen = await waitFor(
    async () => {
      const p = (await bfdPeers()).get(victim.ipv4);
      return p && p.status !== "up" ? p : undefined;
    },
    { what: "the victim's BFD session down at FRR", timeoutMs: 30_000, intervalMs: 50 },
  );
  expect(seen.remoteDiagnostic).toBe("administratively down");
  await speakerBack(speaker);
  await everyBfdUp(60_000);
  await everyHop(60_000);
}, 180_000);
