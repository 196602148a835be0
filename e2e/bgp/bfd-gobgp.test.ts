/**
 * BFD against GoBGP 4.9's own BFD (single hop, RFC 5881) on real nodes: GoBGP as the router with
 * BFD 300 ms x 3 on its dynamic peer-group (GoBGP detects with its own interval, so both sides use
 * the same), the speakers' BGPPeer naming a BFDProfile of the same timers, the BGP hold time 30 s.
 * GoBGP installs nothing in a kernel: its RIB shows when a node's paths go.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { NODES, nodeNamed } from "../net/topology.ts";
import { killNode, restartNode } from "../nodes/real-cluster.ts";
import type { GobgpHandle } from "../peers/gobgp.ts";
import { waitFor } from "../peers/wait.ts";
import {
  bgpTestbedWith,
  type RouterTestbed,
  routerTestbedDown,
  startGobgpIpv4Router,
} from "./router-testbed.ts";
import { createLbService } from "./services.ts";
import { aBfdProfile, aBgpAdvertisement, aBgpPeer, apply } from "./support.ts";

const WORKERS = NODES.filter((n) => n.name !== "myk8s-control-plane");
let bed: RouterTestbed<GobgpHandle> | undefined;
const gobgp = () => bed!.router;
let vip = "";

async function pathsFrom(): Promise<string[]> {
  const route = (await gobgp().routes("ipv4")).get(`${vip}/32`);
  return (route?.paths ?? []).map((p) => p.peer).sort();
}

async function everyBfdUp(timeoutMs = 30_000): Promise<void> {
  await waitFor(
    async () => {
      const n = await gobgp().neighbors();
      return NODES.every((node) => n.get(node.ipv4)?.bfdState === "Up") ? true : undefined;
    },
    {
      what: "every node's BFD session Up at GoBGP",
      timeoutMs,
      describe: async () =>
        JSON.stringify([...(await gobgp().neighbors())].map(([a, n]) => [a, n.state, n.bfdState])),
    },
  );
}

beforeAll(async () => {
  bed = await bgpTestbedWith(() =>
    startGobgpIpv4Router({ timers: { keepaliveS: 10, holdS: 30 }, bfd: { intervalMs: 300, multiplier: 3 } }),
  );
  await apply(
    aBfdProfile("fast"),
    aBgpPeer("router", { holdTime: "30s", connectTime: "2s", bfdProfile: "fast" }),
    aBgpAdvertisement("bgp-adv"),
  );
  [vip] = (await createLbService("svc")) as [string];
  await waitFor(async () => ((await pathsFrom()).length === WORKERS.length ? true : undefined), {
    what: "a path from every worker",
    timeoutMs: 30_000,
  });
}, 900_000);

afterAll(() => routerTestbedDown(bed), 120_000);

test("every speaker's BFD session is Up at GoBGP, the BGP hold time is 30 s", async () => {
  await everyBfdUp();
  const n = await gobgp().neighbors();
  for (const node of NODES) expect(n.get(node.ipv4)?.holdTimeS).toBe(30);
}, 60_000);

test("a node killed hard: GoBGP's BFD drops its session and paths within about a second", async () => {
  const victim = nodeNamed("myk8s-worker2");
  await everyBfdUp();
  const killedAt = performance.now();
  await killNode(victim);
  await waitFor(async () => ((await pathsFrom()).includes(victim.ipv4) ? undefined : true), {
    what: "the dead node's path gone from GoBGP",
    timeoutMs: 10_000,
    intervalMs: 20,
  });
  const goneMs = performance.now() - killedAt;
  console.log(`GoBGP dropped the dead node's path ${goneMs.toFixed(0)} ms after the kill`);
  expect(goneMs).toBeLessThan(2_500);
  await restartNode(victim);
  await everyBfdUp(60_000);
  await waitFor(async () => ((await pathsFrom()).length === WORKERS.length ? true : undefined), {
    what: "every worker's path back",
    timeoutMs: 60_000,
  });
}, 180_000);
