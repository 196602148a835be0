/**
 * The BGP lab's router: FRR in the testbed's `router` namespace, standing in for the top-of-rack
 * router of the seed's network, and what the lab reads from it (neighbours, the BGP RIB, zebra's
 * routes, the kernel's ECMP route).
 */
import { routerSpec } from "../bgp/support.ts";
import { ROUTER, WORKERS } from "../net/topology.ts";
import { vtysh, vtyshArgv } from "../peers/frr.ts";
import type { FrrRouterSpec } from "../peers/frr-config.ts";
import { frrNeighbors, frrRoutes } from "../peers/frr-query.ts";
import { kernelRoute } from "../peers/kernel-route.ts";
import { parseZebraRoutes } from "./zebra-routes.ts";

/** The nodes that announce: the seed's control plane carries node.kubernetes.io/exclude-from-external-load-balancers. */
export const WORKER_IPS: readonly string[] = WORKERS.map((n) => n.ipv4).sort();

/** Seconds; the same figures as the lab's BGPPeer (holdTime: 9s, keepalive derived as 9/3). */
export const HOLD_S = 9;
export const KEEPALIVE_S = 3;
/** The lab's BFDProfile (e2e/lab/seed/bfdprofile.yaml) and bfdd's default: 300 ms x 3. */
export const BFD_INTERVAL_MS = 300;
export const BFD_MULTIPLIER = 3;

/**
 * Any node of the segment may connect (FRR's dynamic neighbours: `bgp listen range`), from any AS
 * other than the router's (eBGP), with the lab's 3/9 timers, so the router's side agrees with the
 * BGPPeer's holdTime rather than lowering it, and BFD on every session (bfdd's 300 ms x 3).
 */
export const LAB_ROUTER: FrrRouterSpec = {
  ...routerSpec(),
  neighbors: [
    {
      kind: "range",
      name: "NODES",
      ranges: ["172.18.0.0/24"],
      remoteAs: "external",
      timers: { keepaliveS: KEEPALIVE_S, holdS: HOLD_S },
      connectRetryS: 1,
      families: ["ipv4"],
      bfd: true,
    },
  ],
};

/** The command line a person types to ask this router (its vty sockets are under the testbed's state). */
export function vtyshCommandLine(command: string): string {
  return [...vtyshArgv(ROUTER.name, []), "-c", `'${command}'`].join(" ");
}

export const routerSays = (command: string) => vtysh(ROUTER.name, command);

export const neighbors = () => frrNeighbors(ROUTER.name);

/** The next hops of a /32 in the BGP RIB (best path and its multipath siblings). */
export async function bgpNextHops(prefix: string): Promise<string[]> {
  return [...((await frrRoutes(ROUTER.name, "ipv4")).get(prefix)?.nexthops ?? [])];
}

/** The next hops zebra installed for a prefix (`show ip route`). */
export async function zebraNextHops(prefix: string): Promise<string[]> {
  return [
    ...(parseZebraRoutes(await routerSays(`show ip route ${prefix} json`)).get(prefix)?.nexthops ?? []),
  ];
}

/** The next hops of the router's kernel route (`ip -n router route`). */
export const kernelNextHops = (prefix: string) => kernelRoute(ROUTER.name, prefix);
