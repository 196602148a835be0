/**
 * How sessions reach FRR, as FRR and the router's kernel see them. The router has a 4-octet AS
 * (4200000000); each node talks to it through its own BGPPeer (same address, nodeSelectors) and
 * FRR peer-group (a /32 listen range each), so one bring-up covers:
 *
 * - myk8s-control-plane: ebgpMultiHop (its SYNs leave with TTL 255; the others' with TTL 1);
 * - myk8s-worker: `password` (TCP MD5, RFC 2385) matching FRR's;
 * - myk8s-worker2: a 4-octet node AS (4200000001: AS_TRANS in the OPEN, capability 65 carries
 *   it) and its MD5 key from a kubernetes.io/basic-auth Secret;
 * - myk8s-worker3: a wrong MD5 key (FRR's kernel drops the SYNs; nothing comes up), then fixed;
 * - every node: an IPv6 session to the router's IPv6 address carrying a dual-stack Service's
 *   IPv6 address, which mypc reaches with curl -6;
 * - a BGPPeer where nothing answers (the speakers retry, the other sessions are unaffected), and
 *   FRR restarting (sessions and routes come back by themselves).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { execIn } from "../net/exec.ts";
import { LOG_DIR } from "../net/procs.ts";
import { type Member, NODES, nodeNamed, ROUTER } from "../net/topology.ts";
import { type RunningSpeaker, runningSpeaker, stillRunning } from "../nodes/speaker-pods.ts";
import type { FrrListenRange } from "../peers/frr-config.ts";
import { frrNeighbors, frrRoutes } from "../peers/frr-query.ts";
import { POOL_V6 } from "../peers/routing.ts";
import { waitFor } from "../peers/wait.ts";
import { anIpAddressPool, createLbService } from "./services.ts";
import {
  aBgpAdvertisement,
  aBgpPeer,
  apply,
  type BgpTestbed,
  bgpTestbedDown,
  bgpTestbedUp,
  curlFromClient,
  kernelNextHops,
  NAMESPACE,
  NODE_ASN,
  ok,
} from "./support.ts";
import { synTtlsDuring } from "./syn-ttl.ts";

const ROUTER_ASN = 4_200_000_000;
const FOUR_OCTET_NODE_ASN = 4_200_000_001;
const GHOST = "172.18.0.253";
const DUAL_POOL = "dual-pool";
const POOL_V6_BASE = POOL_V6.split("::/")[0];
const DUAL_POOL_V4 = "172.18.255.100-172.18.255.110";
const DUAL_POOL_V6 = `${POOL_V6_BASE}::10-${POOL_V6_BASE}::1f`;

const CP = nodeNamed("myk8s-control-plane");
const W1 = nodeNamed("myk8s-worker");
const W2 = nodeNamed("myk8s-worker2");
const W3 = nodeNamed("myk8s-worker3");
const WORKERS = [W1, W2, W3];

const TIMERS = { keepaliveS: 1, holdS: 3 };

function group(name: string, ranges: string[], extra: Partial<FrrListenRange> = {}): FrrListenRange {
  return {
    kind: "range",
    name,
    ranges,
    remoteAs: "external",
    timers: TIMERS,
    connectRetryS: 1,
    families: ["ipv4"],
    ...extra,
  };
}

const onNode = (name: string) => ({
  nodeSelectors: [{ matchLabels: { "kubernetes.io/hostname": name } }],
});

const peerV4 = (name: string, node: string, spec: Record<string, unknown> = {}) =>
  aBgpPeer(name, { peerASN: ROUTER_ASN, connectTime: "2s", ...onNode(node), ...spec });

let bed: BgpTestbed | undefined;

async function established(addresses: readonly string[], timeoutMs = 30_000) {
  return waitFor(
    async () => {
      const n = await frrNeighbors(ROUTER.name);
      return addresses.every((a) => n.get(a)?.state === "Established") ? n : undefined;
    },
    {
      what: `${addresses.join(", ")} Established at FRR`,
      timeoutMs,
      describe: async () =>
        JSON.stringify([...(await frrNeighbors(ROUTER.name))].map(([ip, s]) => [ip, s.state])),
    },
  );
}

/** A route's next hops without IPv6 link-local ones (RFC 2545 §3 lets an UPDATE carry both). */
const globalHops = (hops: readonly string[]) => hops.filter((h) => !h.startsWith("fe80:"));

async function routeHops(family: "ipv4" | "ipv6", prefix: string, count: number, timeoutMs = 20_000) {
  return waitFor(
    async () => {
      const r = (await frrRoutes(ROUTER.name, family)).get(prefix);
      return r && globalHops(r.nexthops).length === count ? r : undefined;
    },
    {
      what: `${prefix} with ${count} next hops at FRR`,
      timeoutMs,
      describe: async () => JSON.stringify((await frrRoutes(ROUTER.name, family)).get(prefix) ?? null),
    },
  );
}

/** The speaker's metallb_bgp_session_up lines (the whole page would drown a failure message). */
async function sessionUpLines(node: Member): Promise<string> {
  const r = await execIn(node.name, ["curl", "-s", "-m", "2", `http://${node.ipv4}:9120/metrics`]);
  return r.stdout
    .split("\n")
    .filter((l) => l.startsWith("metallb_bgp_session_up{"))
    .join("\n");
}

function bgpdLog(): string {
  return readFileSync(join(LOG_DIR, `${ROUTER.name}.frr.bgpd.out`), "utf8");
}

/** Each node's speaker as it ran before the tests: a crash while it retries would replace it. */
const speakersAtStart = new Map<string, RunningSpeaker>();

let v4Service = "";
let dualV4 = "";
let dualV6 = "";

beforeAll(async () => {
  bed = await bgpTestbedUp({
    asn: ROUTER_ASN,
    routerId: ROUTER.ipv4,
    neighbors: [
      group("CP", [`${CP.ipv4}/32`]),
      group("MD5", [`${W1.ipv4}/32`], { password: "s3cret-key" }),
      group("SECRET", [`${W2.ipv4}/32`], { password: "fr0m-a-secret" }),
      group("WRONG", [`${W3.ipv4}/32`], { password: "the-right-key" }),
      group("NODES6", ["fc00:f853:ccd:e793::/64"], { families: ["ipv6"] }),
    ],
  });
  await apply(
    {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: "bgp-md5", namespace: NAMESPACE },
      type: "kubernetes.io/basic-auth",
      stringData: { password: "fr0m-a-secret" },
    },
    anIpAddressPool(DUAL_POOL, { addresses: [DUAL_POOL_V4, DUAL_POOL_V6], autoAssign: false }),
    peerV4("cp", CP.name, { ebgpMultiHop: true }),
    peerV4("md5", W1.name, { password: "s3cret-key" }),
    peerV4("secret", W2.name, {
      myASN: FOUR_OCTET_NODE_ASN,
      passwordSecret: { name: "bgp-md5", namespace: NAMESPACE },
    }),
    peerV4("wrong", W3.name, { password: "not-the-key" }),
    aBgpPeer("router-v6", { peerASN: ROUTER_ASN, peerAddress: ROUTER.ipv6, connectTime: "2s" }),
    aBgpAdvertisement("bgp-adv", { ipAddressPools: ["my-ippool", DUAL_POOL] }),
  );
  for (const n of NODES) speakersAtStart.set(n.name, await runningSpeaker(n.name));
}, 900_000);

afterAll(() => bgpTestbedDown(bed), 120_000);

test("4-octet ASNs: the router's 4200000000 and a node's 4200000001 (AS_TRANS in the OPEN) both hold; AS_PATHs at FRR name each node's AS", async () => {
  const neighbors = await established([CP.ipv4, W1.ipv4, W2.ipv4]);
  expect(neighbors.get(CP.ipv4)?.remoteAs).toBe(NODE_ASN);
  expect(neighbors.get(W1.ipv4)?.remoteAs).toBe(NODE_ASN);
  expect(neighbors.get(W2.ipv4)?.remoteAs).toBe(FOUR_OCTET_NODE_ASN);
  expect(JSON.stringify(neighbors.get(W2.ipv4)?.capabilities)).toMatch(/4byteAs|fourByteAs/i);
  v4Service = (await createLbService("v4"))[0] ?? "";
  const route = await routeHops("ipv4", `${v4Service}/32`, 2);
  expect(route.nexthops).toEqual([W1.ipv4, W2.ipv4].sort());
  const pathOf = (ip: string) => route.paths.find((p) => p.nexthops.includes(ip));
  expect(pathOf(W1.ipv4)?.aspath).toEqual([NODE_ASN]);
  expect(pathOf(W2.ipv4)?.aspath).toEqual([FOUR_OCTET_NODE_ASN]);
}, 60_000);

test("MD5: `password` and a basic-auth passwordSecret bring their sessions up with FRR's keyed peer-groups", async () => {
  const neighbors = await established([W1.ipv4, W2.ipv4]);
  expect(neighbors.get(W1.ipv4)?.peerGroup).toBe("MD5");
  expect(neighbors.get(W2.ipv4)?.peerGroup).toBe("SECRET");
}, 30_000);

test("MD5: a wrong key never comes up (FRR logs nothing from the node), the speaker says session_up 0; the right key brings it up", async () => {
  await Bun.sleep(3_000);
  expect((await frrNeighbors(ROUTER.name)).get(W3.ipv4)?.state).toBeUndefined();
  expect(bgpdLog()).not.toContain(`${W3.ipv4} in vrf default Up`);
  expect(bgpdLog()).not.toMatch(new RegExp(`neighbor ${W3.ipv4.replaceAll(".", "\\.")}\\b.*Up`));
  expect(await sessionUpLines(W3)).toContain(`metallb_bgp_session_up{peer="${ROUTER.ipv4}:179"} 0`);
  await apply(peerV4("wrong", W3.name, { password: "the-right-key" }));
  const neighbors = await established([W3.ipv4], 20_000);
  expect(neighbors.get(W3.ipv4)?.peerGroup).toBe("WRONG");
  const route = await routeHops("ipv4", `${v4Service}/32`, 3);
  expect(route.nexthops).toEqual(WORKERS.map((w) => w.ipv4).sort());
  await waitFor(
    async () =>
      (await sessionUpLines(W3)).includes(`metallb_bgp_session_up{peer="${ROUTER.ipv4}:179"} 1`)
        ? true
        : undefined,
    { what: "session_up 1 on worker3" },
  );
}, 60_000);

test("IPv6: sessions to the router's IPv6 address carry a dual-stack Service's IPv6 address; FRR and the kernel have an ECMP route via the nodes' global addresses; curl -6 from mypc lands on a node", async () => {
  const v6Hops = WORKERS.map((w) => w.ipv6).sort();
  const neighbors = await established(NODES.map((n) => n.ipv6));
  for (const n of NODES) expect(neighbors.get(n.ipv6)?.families).toEqual(["ipv6Unicast"]);
  const ips = await createLbService("dual", { pool: DUAL_POOL, dualStack: true });
  dualV4 = ips.find((ip) => !ip.includes(":")) ?? "";
  dualV6 = ips.find((ip) => ip.includes(":")) ?? "";
  expect(dualV4).not.toBe("");
  expect(dualV6).not.toBe("");
  const route6 = await routeHops("ipv6", `${dualV6}/128`, 3);
  expect(globalHops(route6.nexthops)).toEqual(v6Hops);
  // The IPv4 address of the same Service goes over the IPv4 sessions only.
  const route4 = await routeHops("ipv4", `${dualV4}/32`, 3);
  expect(route4.nexthops).toEqual(WORKERS.map((w) => w.ipv4).sort());
  expect((await frrRoutes(ROUTER.name, "ipv4")).has(`${dualV6}/128`)).toBe(false);
  expect(
    await waitFor(
      async () =>
        (await kernelNextHops(`${dualV6}/128`)).length === 3 ? kernelNextHops(`${dualV6}/128`) : undefined,
      {
        what: "three IPv6 kernel next hops",
        describe: async () => JSON.stringify(await kernelNextHops(`${dualV6}/128`)),
      },
    ),
  ).toEqual(v6Hops);
  expect(WORKERS.map((w) => w.name)).toContain(await curlFromClient(dualV6));
}, 60_000);

test("a peer that never answers: the speakers keep retrying (ARP asks for it again and again), report session_up 0, and the router's sessions and routes are untouched", async () => {
  await apply(aBgpPeer("ghost", { peerASN: ROUTER_ASN, peerAddress: GHOST, connectTime: "2s" }));
  try {
    const arp = await execIn(
      ROUTER.name,
      ["timeout", "12", "tcpdump", "-l", "-n", "-i", ROUTER.ifname, `arp and dst host ${GHOST}`],
      { timeoutMs: 20_000 },
    );
    const asks = arp.stdout.split("\n").filter((l) => l.includes(`who-has ${GHOST} tell ${W1.ipv4}`));
    // Each dial makes the kernel ask (up to 3 times); more than one dial shows the speaker retries.
    expect(asks.length).toBeGreaterThan(3);
    for (const node of [W1, W2, W3]) {
      const metrics = await sessionUpLines(node);
      expect(metrics).toContain(`metallb_bgp_session_up{peer="${GHOST}:179"} 0`);
      expect(metrics).toContain(`metallb_bgp_session_up{peer="${ROUTER.ipv4}:179"} 1`);
      expect(stillRunning(speakersAtStart.get(node.name)!)).toBe(true);
    }
    await established([...NODES.map((n) => n.ipv4), ...NODES.map((n) => n.ipv6)], 5_000);
    expect((await routeHops("ipv4", `${v4Service}/32`, 3)).nexthops).toEqual(
      WORKERS.map((w) => w.ipv4).sort(),
    );
  } finally {
    await ok(["delete", "bgppeer", "-n", NAMESPACE, "ghost"]);
  }
}, 60_000);

test("FRR restarts: every session and route comes back by itself; the SYNs show TTL 255 for ebgpMultiHop and 1 (hop limit 1) for single-hop eBGP", async () => {
  const everyone = [...NODES.map((n) => n.ipv4), ...NODES.map((n) => n.ipv6)];
  const backAfterMs = new Map<string, number>();
  const ttls = await synTtlsDuring(ROUTER.name, ROUTER.ifname, 35, async () => {
    await bed!.frr.restart();
    const restartedAt = performance.now();
    await waitFor(
      async () => {
        const n = await frrNeighbors(ROUTER.name);
        for (const a of everyone) {
          if (n.get(a)?.state === "Established" && !backAfterMs.has(a))
            backAfterMs.set(a, Math.round(performance.now() - restartedAt));
        }
        return backAfterMs.size === everyone.length ? true : undefined;
      },
      {
        what: "every session back",
        timeoutMs: 30_000,
        describe: async () => JSON.stringify([...backAfterMs]),
      },
    );
  });
  console.log(`sessions back after FRR restarted (ms): ${JSON.stringify([...backAfterMs])}`);
  console.log(`SYN TTLs by source: ${JSON.stringify([...ttls])}`);
  await routeHops("ipv4", `${v4Service}/32`, 3);
  await routeHops("ipv6", `${dualV6}/128`, 3);
  expect(await kernelNextHops(`${v4Service}/32`)).toEqual(WORKERS.map((w) => w.ipv4).sort());
  expect(ttls.get(CP.ipv4)).toEqual([255]);
  for (const w of WORKERS) expect(ttls.get(w.ipv4)).toEqual([1]);
  for (const n of NODES) expect(ttls.get(n.ipv6)).toEqual([1]);
}, 90_000);
