/**
 * What BGPAdvertisements and BGPPeers shape, as the routers see it. FRR in `router` is an iBGP
 * neighbour (its AS is the nodes' 64512), so it receives LOCAL_PREF; GoBGP in `mypc` is an eBGP
 * neighbour (AS 64600) held by two nodes only (BGPPeer nodeSelectors), so it shows what eBGP gets
 * and what the `peers` filter keeps from it. Checked in the routers' RIBs: LOCAL_PREF (set, and
 * RFC 4271 §5.1.5's default when unset), standard communities (literal and through a Community
 * alias), large communities, aggregation to a /24 withdrawn only with its last Service, the
 * `peers` filter, and advertisement nodeSelectors.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { CLIENT, NODES, nodeNamed, ROUTER, WORKERS } from "../net/topology.ts";
import { frrNeighbors, frrRoutes } from "../peers/frr-query.ts";
import { type GobgpHandle, startGobgp } from "../peers/gobgp.ts";
import { waitFor } from "../peers/wait.ts";
import { anIpAddressPool, createLbService, deleteService } from "./services.ts";
import {
  aBgpAdvertisement,
  aBgpPeer,
  apply,
  type BgpTestbed,
  bgpTestbedDown,
  bgpTestbedUp,
  NAMESPACE,
  NODE_ASN,
  ok,
  ribNextHops,
  routerSpec,
} from "./support.ts";

const EDGE_ASN = 64600;
const AGG_POOL = "agg-pool";
const AGG_CIDR = "172.18.254.0/24";
const EDGE_NODES = ["myk8s-worker2", "myk8s-worker3"].map(nodeNamed);

let bed: BgpTestbed | undefined;
let edge: GobgpHandle | undefined;

const selecting = (label: string) => ({ serviceSelectors: [{ matchLabels: { "bgp-test": label } }] });

async function frrRoute(prefix: string) {
  return (await frrRoutes(ROUTER.name, "ipv4")).get(prefix);
}

/** Waits for FRR to hold `prefix` with this many next hops, and returns the route. */
async function frrRouteWith(prefix: string, hops: number) {
  return waitFor(
    async () => {
      const r = await frrRoute(prefix);
      return r && r.nexthops.length === hops ? r : undefined;
    },
    {
      what: `${prefix} with ${hops} next hops in FRR`,
      timeoutMs: 20_000,
      describe: async () => JSON.stringify(await frrRoute(prefix)),
    },
  );
}

async function edgeRoute(prefix: string) {
  return (await edge!.routes("ipv4")).get(prefix);
}

beforeAll(async () => {
  bed = await bgpTestbedUp(routerSpec({ asn: NODE_ASN, remoteAs: "internal" }));
  edge = await startGobgp(CLIENT.name, {
    asn: EDGE_ASN,
    routerId: CLIENT.ipv4,
    dynamicNeighbors: [
      {
        peerGroup: "nodes",
        prefixes: ["172.18.0.0/24"],
        peerAs: NODE_ASN,
        passive: true,
        timers: { keepaliveS: 1, holdS: 3 },
      },
    ],
  });
  await apply(
    anIpAddressPool(AGG_POOL, { addresses: [AGG_CIDR], autoAssign: false }),
    {
      apiVersion: "metallb.io/v1beta1",
      kind: "Community",
      metadata: { name: "aliases", namespace: NAMESPACE },
      spec: { communities: [{ name: "gold", value: "64512:777" }] },
    },
    aBgpPeer("router", { peerASN: NODE_ASN }),
    aBgpPeer("edge", {
      peerASN: EDGE_ASN,
      peerAddress: CLIENT.ipv4,
      nodeSelectors: [
        {
          matchExpressions: [
            { key: "kubernetes.io/hostname", operator: "In", values: EDGE_NODES.map((n) => n.name) },
          ],
        },
      ],
    }),
    aBgpAdvertisement("attrs", {
      ...selecting("attrs"),
      localPref: 150,
      communities: ["65535:65282", "gold", "large:1:2:3"],
    }),
    aBgpAdvertisement("plain", selecting("plain")),
    aBgpAdvertisement("edge-only", { ...selecting("edge-only"), peers: ["edge"] }),
    aBgpAdvertisement("one-node", {
      ...selecting("one-node"),
      nodeSelectors: [{ matchLabels: { "kubernetes.io/hostname": "myk8s-worker2" } }],
    }),
    aBgpAdvertisement("agg", { ipAddressPools: [AGG_POOL], aggregationLength: 24, peers: ["router"] }),
  );
}, 900_000);

afterAll(async () => {
  await edge?.stop().catch(() => undefined);
  await bgpTestbedDown(bed);
}, 120_000);

test("iBGP with FRR from every node; the eBGP BGPPeer with nodeSelectors holds sessions from the selected nodes only", async () => {
  const neighbors = await waitFor(
    async () => {
      const n = await frrNeighbors(ROUTER.name);
      return NODES.every((node) => n.get(node.ipv4)?.state === "Established") ? n : undefined;
    },
    { what: "every node Established with FRR", timeoutMs: 30_000 },
  );
  for (const node of NODES) expect(neighbors.get(node.ipv4)?.remoteAs).toBe(NODE_ASN);
  const edgeNeighbors = await waitFor(
    async () => {
      const n = await edge!.neighbors();
      const up = [...n].filter(([, s]) => s.state === "Established").map(([ip]) => ip);
      return up.length === EDGE_NODES.length ? up.sort() : undefined;
    },
    {
      what: "two sessions at GoBGP",
      timeoutMs: 30_000,
      describe: async () => JSON.stringify([...(await edge!.neighbors())]),
    },
  );
  expect(edgeNeighbors).toEqual(EDGE_NODES.map((n) => n.ipv4).sort());
  // The others never connect: give them a few connect cycles to prove it.
  await Bun.sleep(3_000);
  const later = [...(await edge!.neighbors())].filter(([, s]) => s.state === "Established").map(([ip]) => ip);
  expect(later.sort()).toEqual(EDGE_NODES.map((n) => n.ipv4).sort());
}, 90_000);

test("localPref, communities (literal and Community alias) and large communities reach FRR over iBGP", async () => {
  const [ip] = await createLbService("attrs", { labels: { "bgp-test": "attrs" } });
  const route = await frrRouteWith(`${ip}/32`, WORKERS.length);
  expect(route.nexthops).toEqual(WORKERS.map((w) => w.ipv4).sort());
  expect(route.localPref).toBe(150);
  expect([...route.communities].sort()).toEqual(["64512:777", "noAdvertise"]);
  expect(route.largeCommunities).toEqual(["1:2:3"]);
  // iBGP: no AS of ours prepended.
  expect(route.aspath).toEqual([]);
  for (const path of route.paths) expect(path.localPref).toBe(150);
}, 60_000);

test("LOCAL_PREF never goes to eBGP: GoBGP gets the communities but no LOCAL_PREF", async () => {
  const ip = await svcIP("attrs");
  const route = await waitFor(
    async () => {
      const r = await edgeRoute(`${ip}/32`);
      return r && r.paths.length === EDGE_NODES.length ? r : undefined;
    },
    { what: "two paths at GoBGP", timeoutMs: 20_000 },
  );
  expect(route.nexthops).toEqual(EDGE_NODES.map((n) => n.ipv4).sort());
  for (const path of route.paths) {
    expect(path.localPref).toBeUndefined();
    expect(path.aspath).toEqual([NODE_ASN]);
    expect(path.largeCommunities).toEqual(["1:2:3"]);
  }
}, 60_000);

test("an advertisement without localPref: FRR's path carries the default LOCAL_PREF 100 and is installed", async () => {
  const [ip] = await createLbService("plain", { labels: { "bgp-test": "plain" } });
  const route = await frrRouteWith(`${ip}/32`, WORKERS.length);
  expect(route.localPref).toBe(100);
  expect(route.communities).toEqual([]);
  expect(route.largeCommunities).toEqual([]);
}, 60_000);

test("the peers filter: an advertisement naming only the eBGP peer reaches GoBGP, not FRR", async () => {
  const [ip] = await createLbService("edge-only", { labels: { "bgp-test": "edge-only" } });
  const prefix = `${ip}/32`;
  const atEdge = await waitFor(
    async () => {
      const r = await edgeRoute(prefix);
      return r && r.paths.length === EDGE_NODES.length ? r : undefined;
    },
    { what: "the prefix at GoBGP", timeoutMs: 20_000 },
  );
  expect(atEdge.nexthops).toEqual(EDGE_NODES.map((n) => n.ipv4).sort());
  // The "plain" Service, advertised to every peer, is at FRR by now; this one never is.
  expect(await frrRoute(`${await svcIP("plain")}/32`)).toBeDefined();
  await Bun.sleep(2_000);
  expect(await frrRoute(prefix)).toBeUndefined();
  // ServiceBGPStatus names the one peer.
  const peers = await waitFor(
    async () => {
      const text = await ok([
        "get",
        "servicebgpstatuses",
        "-n",
        NAMESPACE,
        "-l",
        "metallb.io/service-name=edge-only",
        "-o",
        'jsonpath={range .items[*]}{.status.node}={.status.peers[*]}{"\\n"}{end}',
      ]);
      const lines = text.trim().split("\n").filter(Boolean).sort();
      return lines.length === EDGE_NODES.length ? lines : undefined;
    },
    { what: "ServiceBGPStatus of edge-only" },
  );
  expect(peers).toEqual(EDGE_NODES.map((n) => `${n.name}=edge`).sort());
}, 60_000);

test("advertisement nodeSelectors: only the selected node is a next hop", async () => {
  const [ip] = await createLbService("one-node", { labels: { "bgp-test": "one-node" } });
  const route = await frrRouteWith(`${ip}/32`, 1);
  expect(route.nexthops).toEqual([nodeNamed("myk8s-worker2").ipv4]);
  await Bun.sleep(2_000);
  expect(await ribNextHops(`${ip}/32`)).toEqual([nodeNamed("myk8s-worker2").ipv4]);
}, 60_000);

test("aggregationLength 24: two Services share one /24 route, withdrawn only when both are gone", async () => {
  const [a] = await createLbService("agg-a", { pool: AGG_POOL });
  const [b] = await createLbService("agg-b", { pool: AGG_POOL });
  expect(a).not.toBe(b);
  const route = await frrRouteWith(AGG_CIDR, WORKERS.length);
  expect(route.nexthops).toEqual(WORKERS.map((w) => w.ipv4).sort());
  const v4 = await frrRoutes(ROUTER.name, "ipv4");
  expect(v4.has(`${a}/32`)).toBe(false);
  expect(v4.has(`${b}/32`)).toBe(false);
  // The advertisement names only FRR's peer.
  expect(await edgeRoute(AGG_CIDR)).toBeUndefined();
  await deleteService("agg-a");
  await Bun.sleep(3_000);
  expect((await frrRoute(AGG_CIDR))?.nexthops).toEqual(WORKERS.map((w) => w.ipv4).sort());
  await deleteService("agg-b");
  await waitFor(async () => ((await frrRoute(AGG_CIDR)) === undefined ? true : undefined), {
    what: "the /24 withdrawn",
    timeoutMs: 20_000,
  });
}, 90_000);

async function svcIP(name: string): Promise<string> {
  return (
    await ok(["get", "svc", name, "-n", "default", "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}"])
  ).trim();
}
