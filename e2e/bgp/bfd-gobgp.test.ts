/**
 * BFD against GoBGP 4.9's own BFD (single hop, RFC 5881) on real nodes: GoBGP as the router with
 * BFD 300 ms x 3 on its dynamic peer-group (GoBGP detects with its own interval, so both sides use
 * the same), the speakers' BGPPeer naming a BFDProfile of the same timers, the BGP hold time 30 s.
 * GoBGP installs nothing in a kernel: its RIB shows when a node's paths go. Both directions of
 * failure: a node killed hard (GoBGP's BFD notices), GoBGP killed hard and the router's link cut
 * (every speaker's BFD notices, and with the link cut no FIN or RST can tell them sooner).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { execIn } from "../net/exec.ts";
import { NODES, nodeNamed, ROUTER, WORKERS } from "../net/topology.ts";
import { killNode, restartNode } from "../nodes/real-cluster.ts";
import type { GobgpHandle } from "../peers/gobgp.ts";
import { waitFor } from "../peers/wait.ts";
import { everySpeakerBfdDown } from "./bfd-logs.ts";
import {
  bgpTestbedWith,
  type RouterTestbed,
  routerTestbedDown,
  startGobgpIpv4Router,
} from "./router-testbed.ts";
import { createLbService } from "./services.ts";
import { aBfdProfile, aBgpAdvertisement, aBgpPeer, apply } from "./support.ts";

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

async function everyWorkerPath(timeoutMs: number): Promise<void> {
  await waitFor(async () => ((await pathsFrom()).length === WORKERS.length ? true : undefined), {
    what: "a path from every worker",
    timeoutMs,
  });
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
  await everyWorkerPath(30_000);
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
  await everyWorkerPath(60_000);
}, 180_000);

test("GoBGP killed hard: every speaker's BFD goes Down in about a second; GoBGP back, all comes back", async () => {
  await everyBfdUp();
  const killedAt = Date.now();
  await gobgp().killHard();
  for (const logged of (await everySpeakerBfdDown(NODES, killedAt, "GoBGP was killed")).values()) {
    expect(logged.name).toBe("router");
    expect(logged.diag).toBe("controlDetectionTimeExpired");
    expect(logged.atMs - killedAt).toBeLessThan(2_000);
  }
  await gobgp().restart();
  await everyBfdUp(60_000);
  await everyWorkerPath(60_000);
}, 180_000);

test("the router's link cut (no FIN, no RST): both ends' BFD detect it in about a second, not at the 30 s hold", async () => {
  await everyBfdUp();
  const cutAt = Date.now();
  await execIn(ROUTER.name, ["ip", "link", "set", ROUTER.ifname, "down"]);
  try {
    for (const logged of (await everySpeakerBfdDown(NODES, cutAt, "the router's link was cut")).values()) {
      expect(logged.diag).toBe("controlDetectionTimeExpired");
      expect(logged.atMs - cutAt).toBeLessThan(2_000);
    }
    // GoBGP's own BFD takes the sessions down on its side too, long before its 30 s hold timer.
    const n = await gobgp().neighbors();
    for (const node of NODES) expect(n.get(node.ipv4)?.bfdState).not.toBe("Up");
  } finally {
    await execIn(ROUTER.name, ["ip", "link", "set", ROUTER.ifname, "up"]);
  }
  await everyBfdUp(60_000);
  await everyWorkerPath(60_000);
}, 180_000);
