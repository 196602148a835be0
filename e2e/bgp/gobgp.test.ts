/**
 * BGP mode end to end against GoBGP as the router: passive dynamic neighbours, one IPv4-only peer
 * group for the nodes' IPv4 addresses and one IPv6-only for their IPv6 addresses, multipath on.
 * GoBGP installs nothing in a kernel, so every assertion reads its RIB (one path per announcing
 * node) or its neighbour table.
 *
 * GoBGP 4.x resets a session with NOTIFICATION 0/0 on an UPDATE or End-of-RIB for a family the
 * OPENs did not both list (seen with GoBGP 4.8): a dual-stack Service announced over an
 * IPv4-only session proves that we never send IPv6 there.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { NODES, nodeNamed, ROUTER, WORKERS } from "../net/topology.ts";
import { deleteSpeakerPod, runningSpeaker, signalSpeaker, speakerBack } from "../nodes/speaker-pods.ts";
import type { GobgpHandle, GobgpRoute } from "../peers/gobgp.ts";
import { waitFor } from "../peers/wait.ts";
import { bgpTestbedWith, type RouterTestbed, routerTestbedDown, startGobgpRouter } from "./router-testbed.ts";
import { aBgpAdvertisement, aBgpPeer, apply, NAMESPACE, NODE_ASN, ok } from "./support.ts";

let bed: RouterTestbed<GobgpHandle> | undefined;
const gobgp = () => bed!.router;
const workerV4 = WORKERS.map((n) => n.ipv4).sort();
const workerV6 = WORKERS.map((n) => n.ipv6).sort();
/** The session up since, per neighbour: a session that was reset has a later one. */
const sessionsUpSince = new Map<string, number>();

const DUAL_POOL = {
  apiVersion: "metallb.io/v1beta1",
  kind: "IPAddressPool",
  metadata: { name: "my-ippool", namespace: NAMESPACE },
  spec: { addresses: ["172.18.255.200-172.18.255.250", "fc00:f853:ccd:e799::200-fc00:f853:ccd:e799::250"] },
};

const COMMUNITIES = ["64512:100", "65535:666", "large:64512:1:2"];

async function neighborsJson(): Promise<
  Array<{
    state?: { neighbor_address?: string; session_state?: number };
    timers?: { state?: { uptime?: unknown } };
  }>
> {
  const text = await gobgp().cli("-j", "neighbor");
  return JSON.parse(text.trim() === "" ? "[]" : text);
}

/** Neighbour address -> when its session came up (GoBGP's uptime timestamp), Established only. */
async function upSince(): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const n of await neighborsJson()) {
    const address = n.state?.neighbor_address;
    const uptime = n.timers?.state?.uptime as { seconds?: number } | number | undefined;
    const seconds = typeof uptime === "number" ? uptime : Number(uptime?.seconds ?? 0);
    if (address && n.state?.session_state === 6) out.set(address, seconds);
  }
  return out;
}

async function allEstablished(addresses: readonly string[]): Promise<boolean> {
  const n = await gobgp().neighbors();
  return addresses.every((a) => n.get(a)?.state === "Established");
}

async function route(prefix: string): Promise<GobgpRoute | undefined> {
  return (await gobgp().routes(prefix.includes(":") ? "ipv6" : "ipv4")).get(prefix);
}

/** The prefix's next hops (one per path), sorted, once they equal `want`. */
async function waitNextHops(
  prefix: string,
  want: readonly string[],
  timeoutMs = 20_000,
): Promise<GobgpRoute> {
  return waitFor(
    async () => {
      const r = await route(prefix);
      const hops = (r?.paths ?? []).flatMap((p) => p.nexthops.slice(0, 1)).sort();
      return hops.join() === [...want].sort().join() ? r : undefined;
    },
    {
      what: `${prefix} via ${want.join(", ")} in GoBGP's RIB`,
      timeoutMs,
      describe: async () => JSON.stringify(await route(prefix)),
    },
  );
}

async function createDualStackService(name: string): Promise<{ v4: string; v6: string }> {
  await apply({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: "default" },
    spec: {
      type: "LoadBalancer",
      ipFamilyPolicy: "RequireDualStack",
      ipFamilies: ["IPv4", "IPv6"],
      selector: { app: "webpod" },
      ports: [{ port: 80, targetPort: 80 }],
    },
  });
  const ips = await waitFor(
    async () => {
      const text = await ok(["get", "svc", name, "-o", "jsonpath={.status.loadBalancer.ingress[*].ip}"]);
      const all = text.trim().split(/\s+/).filter(Boolean);
      const v4 = all.find((i) => !i.includes(":"));
      const v6 = all.find((i) => i.includes(":"));
      return v4 && v6 ? { v4, v6 } : undefined;
    },
    { what: `two IPs for ${name}` },
  );
  return ips;
}

let svc: { v4: string; v6: string } | undefined;

beforeAll(async () => {
  bed = await bgpTestbedWith(() => startGobgpRouter());
  await apply(
    DUAL_POOL,
    aBgpPeer("router", { connectTime: "2s" }),
    aBgpPeer("router6", { peerAddress: ROUTER.ipv6, connectTime: "2s" }),
    aBgpAdvertisement("bgp-adv", { communities: COMMUNITIES, localPref: 150 }),
  );
}, 900_000);

afterAll(() => routerTestbedDown(bed), 120_000);

test("every speaker establishes an IPv4 and an IPv6 session with GoBGP (eBGP, hold 3 s)", async () => {
  const addresses = [...NODES.map((n) => n.ipv4), ...NODES.map((n) => n.ipv6)];
  await waitFor(async () => ((await allEstablished(addresses)) ? true : undefined), {
    what: "every node Established twice",
    timeoutMs: 30_000,
    describe: async () => JSON.stringify([...(await gobgp().neighbors())].map(([a, n]) => [a, n.state])),
  });
  const neighbors = await gobgp().neighbors();
  for (const address of addresses) {
    expect(neighbors.get(address)?.peerAs).toBe(NODE_ASN);
    expect(neighbors.get(address)?.holdTimeS).toBe(3);
  }
  // IPv4 sessions negotiated IPv4 unicast only, IPv6 sessions IPv6 unicast only.
  for (const node of NODES) {
    expect(Object.keys(neighbors.get(node.ipv4)?.received ?? {})).toEqual(["1:1"]);
    expect(Object.keys(neighbors.get(node.ipv6)?.received ?? {})).toEqual(["2:1"]);
  }
  for (const [address, since] of await upSince()) sessionsUpSince.set(address, since);
  expect(sessionsUpSince.size).toBe(addresses.length);
  for (const since of sessionsUpSince.values()) expect(since).toBeGreaterThan(0);
}, 60_000);

test("a dual-stack Service: one path per worker in each family, origin IGP, our AS_PATH and communities", async () => {
  svc = await createDualStackService("dual");
  const v4 = await waitNextHops(`${svc.v4}/32`, workerV4);
  const v6 = await waitNextHops(`${svc.v6}/128`, workerV6);
  for (const r of [v4, v6]) {
    expect(r.paths.length).toBe(3);
    for (const p of r.paths) {
      expect(p.origin).toBe("IGP");
      expect(p.aspath).toEqual([NODE_ASN]);
      expect([...p.communities].sort()).toEqual(["64512:100", "65535:666"]);
      expect(p.largeCommunities).toEqual(["64512:1:2"]);
      // LOCAL_PREF goes to iBGP peers only (RFC 4271 §5.1.5).
      expect(p.localPref).toBeUndefined();
    }
  }
  expect(v4.paths.map((p) => p.peer).sort()).toEqual(workerV4);
  expect(v6.paths.map((p) => p.peer).sort()).toEqual(workerV6);
}, 60_000);

test("the IPv4-only sessions survive the dual-stack Service: no IPv6 UPDATE or End-of-RIB reached them", async () => {
  // Give any stray IPv6 UPDATE time to arrive and GoBGP time to reset the session over it.
  await Bun.sleep(3_000);
  const now = await upSince();
  for (const node of NODES) {
    expect(now.get(node.ipv4)).toBe(sessionsUpSince.get(node.ipv4)!);
    expect(now.get(node.ipv6)).toBe(sessionsUpSince.get(node.ipv6)!);
  }
  const neighbors = await gobgp().neighbors();
  for (const node of WORKERS) {
    expect(neighbors.get(node.ipv4)?.received).toEqual({ "1:1": 1 });
    expect(neighbors.get(node.ipv6)?.received).toEqual({ "2:1": 1 });
  }
}, 30_000);

test("a deleted speaker pod (SIGTERM) withdraws its paths while its sessions are still Established", async () => {
  const victim = nodeNamed("myk8s-worker3");
  const prefix = `${svc!.v4}/32`;
  const speaker = await runningSpeaker(victim.name);
  await deleteSpeakerPod(speaker);
  // The first look at GoBGP without the victim's path must still show its session up.
  const seen = await waitFor(
    async () => {
      const [r, n] = await Promise.all([route(prefix), gobgp().neighbors()]);
      const hops = (r?.paths ?? []).map((p) => p.peer);
      return hops.includes(victim.ipv4) ? undefined : { hops, state: n.get(victim.ipv4)?.state };
    },
    { what: "the victim's path withdrawn", intervalMs: 20, timeoutMs: 10_000 },
  );
  expect(seen.state).toBe("Established");
  expect(seen.hops.sort()).toEqual(workerV4.filter((i) => i !== victim.ipv4));
  await waitFor(
    async () => ((await gobgp().neighbors()).get(victim.ipv4)?.state === "Established" ? undefined : true),
    {
      what: "the victim's session gone",
    },
  );
  // The DaemonSet's next pod on the node announces again.
  await speakerBack(speaker);
  await waitNextHops(prefix, workerV4);
  await waitNextHops(`${svc!.v6}/128`, workerV6);
}, 60_000);

test("a frozen speaker (SIGSTOP) loses its paths when GoBGP's 3 s hold timer expires, and comes back", async () => {
  const victim = nodeNamed("myk8s-worker");
  const prefix = `${svc!.v4}/32`;
  const speaker = await runningSpeaker(victim.name);
  signalSpeaker(speaker, "SIGSTOP");
  const frozenAt = performance.now();
  let goneMs = 0;
  try {
    await waitNextHops(
      prefix,
      workerV4.filter((i) => i !== victim.ipv4),
      10_000,
    );
    goneMs = performance.now() - frozenAt;
  } finally {
    signalSpeaker(speaker, "SIGCONT");
  }
  // Only the hold timer can tell GoBGP: no FIN, no NOTIFICATION from a stopped process.
  expect(goneMs).toBeGreaterThan(1_500);
  expect(goneMs).toBeLessThan(6_000);
  await waitNextHops(prefix, workerV4);
}, 60_000);

test("iBGP: GoBGP in the nodes' AS gets an empty AS_PATH and the advertisement's LOCAL_PREF", async () => {
  await gobgp().stop();
  bed!.router = await startGobgpRouter(NODE_ASN);
  await apply(
    aBgpPeer("router", { peerASN: NODE_ASN, connectTime: "2s" }),
    aBgpPeer("router6", { peerAddress: ROUTER.ipv6, peerASN: NODE_ASN, connectTime: "2s" }),
  );
  const v4 = await waitNextHops(`${svc!.v4}/32`, workerV4, 30_000);
  const v6 = await waitNextHops(`${svc!.v6}/128`, workerV6, 30_000);
  for (const r of [v4, v6]) {
    for (const p of r.paths) {
      expect(p.origin).toBe("IGP");
      expect(p.aspath).toEqual([]);
      expect(p.localPref).toBe(150);
      expect(p.largeCommunities).toEqual(["64512:1:2"]);
    }
  }
  const neighbors = await gobgp().neighbors();
  for (const node of NODES) {
    expect(neighbors.get(node.ipv4)?.state).toBe("Established");
    expect(neighbors.get(node.ipv4)?.peerAs).toBe(NODE_ASN);
  }
}, 60_000);
