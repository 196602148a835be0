/**
 * Graceful restart (RFC 4724) on real nodes against FRR, a helper by default: the speakers'
 * BGPPeer sets enableGracefulRestart, so a planned stop closes the session quietly and FRR keeps
 * the node's routes as stale until the next speaker pod sends them again. During `kubectl rollout
 * restart daemonset/speaker` the router's kernel route keeps every worker as a next hop and mypc's
 * requests every 10 ms through the router all succeed.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { allWorkerHops } from "../bench/bgp-sessions.ts";
import { probeWhile } from "../bench/probe-while.ts";
import { NODES } from "../net/topology.ts";
import { waitFor } from "../peers/wait.ts";
import { createLbService } from "./services.ts";
import {
  aBgpAdvertisement,
  aBgpPeer,
  apply,
  type BgpTestbed,
  bgpTestbedDown,
  bgpTestbedUp,
  kernelNextHops,
  ok,
  servedThrough,
} from "./support.ts";

const WORKERS = NODES.filter((n) => n.name !== "myk8s-control-plane");
let bed: BgpTestbed | undefined;

/** The parts of FRR's `show bgp neighbors <ip> json` this file reads. */
interface FrrGrView {
  bgpState?: string;
  neighborCapabilities?: { gracefulRestart?: string };
  gracefulRestartInfo?: { remoteGrMode?: string };
}
let vip = "";

/** The bench's wait: every worker a next hop of the Service's route in the router's kernel. */
const everyHop = (timeoutMs = 30_000) => allWorkerHops(`${vip}/32`, timeoutMs);

beforeAll(async () => {
  bed = await bgpTestbedUp();
  await apply(
    aBgpPeer("router", { enableGracefulRestart: true, connectTime: "2s" }),
    aBgpAdvertisement("bgp-adv"),
  );
  [vip] = (await createLbService("svc")) as [string];
  await everyHop();
  await servedThrough(vip);
}, 900_000);

afterAll(() => bgpTestbedDown(bed), 120_000);

test("FRR sees graceful restart negotiated with every speaker, the speakers in Restart mode", async () => {
  for (const node of NODES) {
    const neighbor = await waitFor(
      async () => {
        const text = await bed!.frr.vtysh(`show bgp neighbors ${node.ipv4} json`);
        const parsed = JSON.parse(text) as Record<string, FrrGrView>;
        const view = parsed[node.ipv4];
        return view?.bgpState === "Established" ? view : undefined;
      },
      { what: `${node.name}'s session Established at FRR` },
    );
    expect({ node: node.name, capability: neighbor.neighborCapabilities?.gracefulRestart }).toEqual({
      node: node.name,
      capability: "advertisedAndReceived",
    });
    expect(neighbor.gracefulRestartInfo?.remoteGrMode).toBe("Restart");
  }
}, 60_000);

test("a rolling restart of the speakers: no next hop ever leaves the router's route, no request from mypc fails", async () => {
  let watching = true;
  const shortest: number[] = [];
  const started = performance.now();
  const timeline: string[] = [];
  const watch = (async () => {
    let last = "";
    while (watching) {
      const hops = (await kernelNextHops(`${vip}/32`)).join(",");
      shortest.push(hops === "" ? 0 : hops.split(",").length);
      if (hops !== last) timeline.push(`${(performance.now() - started).toFixed(0)} ms: ${hops || "none"}`);
      last = hops;
      await Bun.sleep(20);
    }
  })();
  const result = await probeWhile([vip], async () => {
    await ok(["rollout", "restart", "daemonset/speaker", "-n", "metallb-system"]);
    await ok(["rollout", "status", "daemonset/speaker", "-n", "metallb-system", "--timeout=300s"]);
    await everyHop();
  });
  watching = false;
  await watch;
  console.log(`rolling restart with graceful restart: ${result.lost} of ${result.sent} requests lost`);
  console.log(`the router's next hops over time:\n${timeline.join("\n")}`);
  console.log(`lost at ms: ${JSON.stringify(result.lostAt ?? [])}`);
  expect(result.sent).toBeGreaterThan(500);
  expect(result.lost).toBe(0);
  expect(Math.min(...shortest)).toBe(WORKERS.length);
}, 400_000);
