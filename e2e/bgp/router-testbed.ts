/**
 * The BGP testbed (support.ts) with another router than FRR in the `router` namespace: GoBGP, or a
 * scripted peer the test starts itself. Same real nodes, same bundle, same pool.
 */

import { ROUTER } from "../net/topology.ts";
import { realClusterDown } from "../nodes/real-cluster.ts";
import { type GobgpHandle, startGobgp } from "../peers/gobgp.ts";
import type { GobgpDynamicNeighbors, GobgpPeerSettings, GobgpSpec } from "../peers/gobgp-config.ts";
import { bgpNodesUp, NODE_ASN, ROUTER_ASN } from "./support.ts";

export interface RouterTestbed<R> {
  router: R;
}

/** The real nodes with the bundle and the pool (support.ts), and `startRouter` in the `router` namespace. */
export async function bgpTestbedWith<R>(startRouter: () => Promise<R>): Promise<RouterTestbed<R>> {
  await bgpNodesUp();
  return { router: await startRouter() };
}

export async function routerTestbedDown<R extends { stop(): Promise<void> }>(
  bed: RouterTestbed<R> | undefined,
): Promise<void> {
  await bed?.router.stop().catch(() => undefined);
  await realClusterDown();
}

/** The nodes' IPv6 /64 (topology.ts IPV6_PREFIX). */
export const NODES_V6 = "fc00:f853:ccd:e793::/64";

/**
 * GoBGP as the nodes' router: passive dynamic neighbours from the nodes' IPv4 /24 (IPv4 unicast
 * only) and from their IPv6 /64 (IPv6 unicast only), hold 3 s, every equal path kept (multipath).
 * `asn` = NODE_ASN makes every session iBGP.
 */
export function gobgpRouterSpec(asn = ROUTER_ASN): GobgpSpec {
  const common: Omit<GobgpDynamicNeighbors, "peerGroup" | "prefixes" | "families"> = {
    peerAs: NODE_ASN,
    passive: true,
    timers: { keepaliveS: 1, holdS: 3 },
    connectRetryS: 1,
  };
  return {
    asn,
    routerId: ROUTER.ipv4,
    dynamicNeighbors: [
      { ...common, peerGroup: "nodes4", prefixes: ["172.18.0.0/24"], families: ["ipv4"] },
      { ...common, peerGroup: "nodes6", prefixes: [NODES_V6], families: ["ipv6"] },
    ],
  };
}

export function startGobgpRouter(asn = ROUTER_ASN): Promise<GobgpHandle> {
  return startGobgp(ROUTER.name, gobgpRouterSpec(asn));
}

/** GoBGP as the nodes' IPv4 router only, its peer-group with these settings added (BFD, graceful restart). */
export function startGobgpIpv4Router(extra: Partial<GobgpPeerSettings>): Promise<GobgpHandle> {
  const spec = gobgpRouterSpec();
  return startGobgp(ROUTER.name, {
    ...spec,
    dynamicNeighbors: (spec.dynamicNeighbors ?? [])
      .filter((d) => d.families?.includes("ipv4"))
      .map((d) => ({ ...d, ...extra })),
  });
}
