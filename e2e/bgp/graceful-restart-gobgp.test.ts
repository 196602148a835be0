/**
 * Graceful restart (RFC 4724) against GoBGP as a helper (`[graceful-restart.config] enabled`, per
 * family `mp-graceful-restart`), on real nodes: during `kubectl rollout restart daemonset/speaker`
 * each speaker closes its session quietly and GoBGP keeps its path as stale until the next pod
 * sends it again, so GoBGP's RIB never loses a worker's path. GoBGP installs nothing in a kernel:
 * its RIB is what a router would forward by.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { NODES, WORKERS } from "../net/topology.ts";
import type { GobgpHandle } from "../peers/gobgp.ts";
import { waitFor } from "../peers/wait.ts";
import {
  bgpTestbedWith,
  type RouterTestbed,
  routerTestbedDown,
  startGobgpIpv4Router,
} from "./router-testbed.ts";
import { createLbService } from "./services.ts";
import { aBgpAdvertisement, aBgpPeer, apply, ok } from "./support.ts";

let bed: RouterTestbed<GobgpHandle> | undefined;
let vip = "";

async function pathsFrom(): Promise<string[]> {
  const route = (await bed!.router.routes("ipv4")).get(`${vip}/32`);
  return (route?.paths ?? []).map((p) => p.peer).sort();
}

beforeAll(async () => {
  bed = await bgpTestbedWith(() => startGobgpIpv4Router({ gracefulRestartHelper: true }));
  await apply(
    aBgpPeer("router", { enableGracefulRestart: true, connectTime: "2s" }),
    aBgpAdvertisement("bgp-adv"),
  );
  [vip] = (await createLbService("svc")) as [string];
  await waitFor(async () => ((await pathsFrom()).length === WORKERS.length ? true : undefined), {
    what: "a path from every worker",
    timeoutMs: 30_000,
  });
}, 900_000);

afterAll(() => routerTestbedDown(bed), 120_000);

test("a rolling restart of the speakers: GoBGP keeps every worker's path throughout", async () => {
  let watching = true;
  let fewest = WORKERS.length;
  const watch = (async () => {
    while (watching) {
      fewest = Math.min(fewest, (await pathsFrom()).length);
      await Bun.sleep(20);
    }
  })();
  await ok(["rollout", "restart", "daemonset/speaker", "-n", "metallb-system"]);
  await ok(["rollout", "status", "daemonset/speaker", "-n", "metallb-system", "--timeout=300s"]);
  // Every session Established again with the new pods, and their paths in place.
  await waitFor(
    async () => {
      const n = await bed!.router.neighbors();
      return NODES.every((node) => n.get(node.ipv4)?.state === "Established") ? true : undefined;
    },
    { what: "every node Established again", timeoutMs: 60_000 },
  );
  await Bun.sleep(2_000);
  watching = false;
  await watch;
  expect(fewest).toBe(WORKERS.length);
  expect(await pathsFrom()).toEqual(WORKERS.map((w) => w.ipv4).sort());
}, 400_000);
