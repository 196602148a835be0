/**
 * The BGP peers of the testbed, proven with real daemons and no metalbun code: two gobgpd stand-in
 * nodes announce one VIP to FRR in `router`, which installs it as an ECMP route; the client's
 * connections to the VIP spread over both nodes; a node that falls silent leaves the route when
 * FRR's 3 s hold timer expires, one killed hard as soon as its TCP connection closes; a restarted
 * FRR learns the VIP again.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { execIn } from "../net/exec.ts";
import { runOk } from "../net/run.ts";
import { netDown, netDownOnSignals, netUp } from "../net/testbed.ts";
import { CLIENT, IPV6_PREFIX, IPV6_PREFIX_LENGTH, nodeNamed, ROUTER, WEB_PORT } from "../net/topology.ts";
import { type FrrHandle, startFrr } from "./frr.ts";
import { frrNeighbors, frrRoutes } from "./frr-query.ts";
import { type GobgpHandle, startGobgp } from "./gobgp.ts";
import { kernelRoute } from "./kernel-route.ts";
import { consecutivePrefixes } from "./mrt.ts";
import { addClientPoolRoutes, removeClientPoolRoutes } from "./routing.ts";
import { waitFor } from "./wait.ts";

const VIP = "172.18.255.200";
const VIP_PREFIX = `${VIP}/32`;
/** In the IPv6 pool of routing.ts (fc00:f853:ccd:e799::/64). */
const VIP6_PREFIX = "fc00:f853:ccd:e799::1/128";
const ROUTER_ASN = 64500;
const NODE_ASN = 64512;
const TIMERS = { keepaliveS: 1, holdS: 3 };
const TEST_TIMEOUT_MS = 20_000;
const worker = nodeNamed("myk8s-worker");
const worker2 = nodeNamed("myk8s-worker2");

let frr: FrrHandle;
const speakers = new Map<string, GobgpHandle>();

async function startStandInNode(name: string): Promise<GobgpHandle> {
  const node = nodeNamed(name);
  const handle = await startGobgp(node.name, {
    asn: NODE_ASN,
    routerId: node.ipv4,
    listenPort: -1,
    neighbors: [{ address: ROUTER.ipv4, peerAs: ROUTER_ASN, timers: TIMERS, connectRetryS: 1 }],
  });
  await handle.announce([VIP_PREFIX]);
  await runOk(["ip", "-n", node.name, "addr", "replace", `${VIP}/32`, "dev", "lo"]);
  speakers.set(name, handle);
  return handle;
}

/** How many next hops FRR's RIB has for the VIP. */
async function twoOrOneHops(): Promise<number> {
  return (await frrRoutes(ROUTER.name, "ipv4")).get(VIP_PREFIX)?.nexthops.length ?? 0;
}

async function curlVip(): Promise<string> {
  const r = await execIn(CLIENT.name, ["curl", "-s", "-m", "2", `http://${VIP}:${WEB_PORT}/`]);
  return r.exitCode === 0 ? r.stdout.trim() : `curl exit ${r.exitCode}`;
}

beforeAll(async () => {
  netDownOnSignals();
  await netUp();
  frr = await startFrr(ROUTER.name, {
    asn: ROUTER_ASN,
    routerId: ROUTER.ipv4,
    neighbors: [
      {
        kind: "range",
        name: "NODES",
        ranges: ["172.18.0.0/24"],
        remoteAs: "external",
        timers: TIMERS,
        families: ["ipv4"],
      },
      {
        kind: "range",
        name: "NODES6",
        ranges: [`${IPV6_PREFIX}/${IPV6_PREFIX_LENGTH}`],
        remoteAs: "external",
        timers: TIMERS,
        families: ["ipv6"],
      },
    ],
  });
  await Promise.all([startStandInNode(worker.name), startStandInNode(worker2.name)]);
  await addClientPoolRoutes();
}, 60_000);

afterAll(async () => {
  await removeClientPoolRoutes().catch(() => {});
  await netDown();
}, 30_000);

describe("e2e/peers: GoBGP stand-in nodes and FRR in the router namespace", () => {
  test(
    "FRR establishes both dynamic neighbours with the 3 s hold time",
    async () => {
      const neighbors = await waitFor(
        async () => {
          const n = await frrNeighbors(ROUTER.name);
          const up = [worker.ipv4, worker2.ipv4].every((ip) => n.get(ip)?.state === "Established");
          return up ? n : undefined;
        },
        {
          what: "both nodes Established",
          describe: async () => JSON.stringify([...(await frrNeighbors(ROUTER.name))]),
        },
      );
      expect(neighbors.get(worker.ipv4)?.holdTimeMs).toBe(3000);
      expect(neighbors.get(worker.ipv4)?.remoteAs).toBe(NODE_ASN);
      expect(neighbors.get(worker2.ipv4)?.families).toEqual(["ipv4Unicast"]);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "FRR's RIB has the VIP with both nodes as next hops, origin IGP",
    async () => {
      const route = await waitFor(
        async () => {
          const r = (await frrRoutes(ROUTER.name, "ipv4")).get(VIP_PREFIX);
          return r?.nexthops.length === 2 ? r : undefined;
        },
        {
          what: "two next hops for the VIP",
          describe: async () => JSON.stringify([...(await frrRoutes(ROUTER.name, "ipv4"))]),
        },
      );
      expect(route.nexthops).toEqual([worker.ipv4, worker2.ipv4]);
      expect(route.origin).toBe("IGP");
      expect(route.aspath).toEqual([NODE_ASN]);
      expect(route.paths.filter((p) => p.best || p.multipath)).toHaveLength(2);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "the router's kernel has an ECMP route to the VIP via both nodes",
    async () => {
      const hops = await waitFor(
        async () => {
          const h = await kernelRoute(ROUTER.name, VIP_PREFIX);
          return h.length === 2 ? h : undefined;
        },
        {
          what: "two kernel next hops",
          describe: async () => JSON.stringify(await kernelRoute(ROUTER.name, VIP_PREFIX)),
        },
      );
      expect(hops).toEqual([worker.ipv4, worker2.ipv4]);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "FRR sends nothing back to the nodes (outbound deny)",
    async () => {
      for (const speaker of speakers.values()) {
        const routes = await speaker.routes("ipv4");
        expect(routes.get(VIP_PREFIX)?.paths).toHaveLength(1); // only its own
        const router = (await speaker.neighbors()).get(ROUTER.ipv4);
        expect(router?.state).toBe("Established");
        expect(router?.received["1:1"]).toBe(0);
      }
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "curl from mypc to the VIP across many source ports lands on both nodes",
    async () => {
      const answers: string[] = [];
      for (let batch = 0; batch < 4; batch++) {
        answers.push(...(await Promise.all(Array.from({ length: 8 }, curlVip))));
      }
      const counts = Object.fromEntries(
        [worker.name, worker2.name].map((n) => [n, answers.filter((a) => a === n).length]),
      );
      expect(answers.filter((a) => a !== worker.name && a !== worker2.name)).toEqual([]);
      expect(counts[worker.name]).toBeGreaterThan(0);
      expect(counts[worker2.name]).toBeGreaterThan(0);
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "a stand-in node sends 10k prefixes in bulk over IPv4 and one over IPv6, next hop its global address",
    async () => {
      const node = nodeNamed("myk8s-worker3");
      const sender = await startGobgp(node.name, {
        asn: NODE_ASN,
        routerId: node.ipv4,
        listenPort: -1,
        neighbors: [
          { address: ROUTER.ipv4, peerAs: ROUTER_ASN, families: ["ipv4"], connectRetryS: 1 },
          { address: ROUTER.ipv6, peerAs: ROUTER_ASN, families: ["ipv6"], connectRetryS: 1 },
        ],
      });
      const bulk = consecutivePrefixes("198.18.0.0", 10_000);
      await sender.announce([...bulk, VIP6_PREFIX], { communities: ["65000:7"] });
      const v4Routes = await waitFor(
        async () => {
          const r = await frrRoutes(ROUTER.name, "ipv4");
          return bulk.every((p) => r.get(p)?.nexthops[0] === node.ipv4) ? r : undefined;
        },
        { timeoutMs: 15_000, intervalMs: 250, what: "10k prefixes from worker3 in FRR" },
      );
      expect(v4Routes.get(bulk[9_999] ?? "")?.communities).toEqual(["65000:7"]);
      const v6Route = await waitFor(async () => (await frrRoutes(ROUTER.name, "ipv6")).get(VIP6_PREFIX), {
        what: "the IPv6 prefix in FRR",
      });
      expect(v6Route.nexthops).toEqual([node.ipv6]);
      expect(await kernelRoute(ROUTER.name, VIP6_PREFIX)).toEqual([node.ipv6]);
      await sender.stop();
      await waitFor(async () => ((await frrRoutes(ROUTER.name, "ipv4")).size === 1 ? true : undefined), {
        what: "worker3's prefixes withdrawn after its Cease",
      });
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "a frozen node (no FIN, only silence) leaves the RIB when the 3 s hold timer expires",
    async () => {
      const speaker = speakers.get(worker2.name);
      if (!speaker) throw new Error("no speaker in worker2");
      const frozenAt = Date.now();
      speaker.freeze();
      try {
        await waitFor(async () => ((await twoOrOneHops()) === 1 ? true : undefined), {
          timeoutMs: 3000 + 2000,
          intervalMs: 50,
          what: "worker2's next hop to go",
        });
        const goneAfterMs = Date.now() - frozenAt;
        console.error(`peers: frozen worker2 left FRR's RIB after ${goneAfterMs} ms (hold 3000 ms)`);
        // The last KEEPALIVE came up to 1 s before the freeze: expiry is 2-3 s after it.
        expect(goneAfterMs).toBeGreaterThanOrEqual(1900);
        await waitFor(
          async () => ((await kernelRoute(ROUTER.name, VIP_PREFIX)).length === 1 ? true : undefined),
          {
            timeoutMs: 2000,
            what: "one kernel next hop",
          },
        );
      } finally {
        speaker.resume();
      }
      // Thawed, it finds its session reset and connects again (connect-retry 1 s).
      await waitFor(async () => ((await twoOrOneHops()) === 2 ? true : undefined), {
        timeoutMs: 10_000,
        what: "worker2 back after resume",
      });
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "a node killed hard leaves the RIB and the kernel route within the hold time",
    async () => {
      const killedAt = Date.now();
      await speakers.get(worker2.name)?.killHard();
      await waitFor(async () => ((await twoOrOneHops()) === 1 ? true : undefined), {
        timeoutMs: 3000 + 2000,
        intervalMs: 50,
        what: "worker2's next hop to go",
      });
      console.error(`peers: killed worker2 left FRR's RIB after ${Date.now() - killedAt} ms (its FIN)`);
      expect((await frrRoutes(ROUTER.name, "ipv4")).get(VIP_PREFIX)?.nexthops).toEqual([worker.ipv4]);
      const hops = await waitFor(
        async () => {
          const h = await kernelRoute(ROUTER.name, VIP_PREFIX);
          return h.length === 1 ? h : undefined;
        },
        { timeoutMs: 2000, what: "one kernel next hop" },
      );
      expect(hops).toEqual([worker.ipv4]);
      expect((await frrNeighbors(ROUTER.name)).get(worker2.ipv4)?.state).not.toBe("Established");
      const answers = await Promise.all(Array.from({ length: 8 }, curlVip));
      expect(new Set(answers)).toEqual(new Set([worker.name]));
    },
    TEST_TIMEOUT_MS,
  );

  test(
    "FRR restarted learns the VIP again from the surviving node",
    async () => {
      await frr.restart();
      const route = await waitFor(async () => (await frrRoutes(ROUTER.name, "ipv4")).get(VIP_PREFIX), {
        timeoutMs: 15_000,
        what: "the VIP after FRR's restart",
      });
      expect(route.nexthops).toEqual([worker.ipv4]);
      const hops = await waitFor(
        async () => {
          const h = await kernelRoute(ROUTER.name, VIP_PREFIX);
          return h.length === 1 ? h : undefined;
        },
        { timeoutMs: 2000, what: "the kernel route after FRR's restart" },
      );
      expect(hops).toEqual([worker.ipv4]);
    },
    TEST_TIMEOUT_MS,
  );
});
