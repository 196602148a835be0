/**
 * What the BGP benches share: the router they peer with (FRR in `router`), the hold times they
 * run with, and waiting for sessions and next hops as the router sees them.
 */
import { kernelNextHops, ROUTER_ASN } from "../bgp/support.ts";
import { type Member, NODES, ROUTER, WORKERS } from "../net/topology.ts";
import type { FrrRouterSpec } from "../peers/frr-config.ts";
import { type FrrBfdPeer, frrBfdPeers, frrNeighbors } from "../peers/frr-query.ts";
import { waitFor } from "../peers/wait.ts";

/** The control plane carries the exclude-from-external-load-balancers label: workers announce. */
export const WORKER_IPS = WORKERS.map((n) => n.ipv4).sort();
export const SHORT_HOLD_MS = 3_000;
export const DEFAULT_HOLD_MS = 90_000;

/**
 * Every node of the segment (mypc too, for the GoBGP stand-in) may peer, and FRR sets no timers
 * of its own: its traditional hold (180 s) is above both of ours, so the BGPPeer's holdTime is the
 * negotiated one (RFC 4271 §4.2: the smaller of the two OPENs').
 */
export const BENCH_ROUTER: FrrRouterSpec = {
  asn: ROUTER_ASN,
  routerId: ROUTER.ipv4,
  neighbors: [
    {
      kind: "range",
      name: "NODES",
      ranges: ["172.18.0.0/24"],
      remoteAs: "external",
      connectRetryS: 1,
      families: ["ipv4"],
    },
  ],
};

/** Waits until FRR has these nodes Established with this negotiated hold time. */
export async function sessionsUp(
  nodes: readonly Member[],
  holdMs: number,
  timeoutMs = 60_000,
): Promise<void> {
  await waitFor(
    async () => {
      const neighbors = await frrNeighbors(ROUTER.name);
      const up = (n: Member) =>
        neighbors.get(n.ipv4)?.state === "Established" && neighbors.get(n.ipv4)?.holdTimeMs === holdMs;
      return nodes.every(up) ? true : undefined;
    },
    {
      what: `${nodes.map((n) => n.name).join(", ")} Established with hold ${holdMs} ms`,
      timeoutMs,
      describe: async () =>
        JSON.stringify([...(await frrNeighbors(ROUTER.name))].map(([ip, n]) => [ip, n.state, n.holdTimeMs])),
    },
  );
}

export async function allWorkerHops(prefix: string, timeoutMs = 60_000): Promise<void> {
  await waitFor(
    async () => ((await kernelNextHops(prefix)).join() === WORKER_IPS.join() ? true : undefined),
    {
      what: `every worker a next hop of ${prefix}`,
      timeoutMs,
      describe: async () => JSON.stringify(await kernelNextHops(prefix)),
    },
  );
}

/** Resolves with the time (performance.now()) at which `node`'s next hop left `prefix`'s kernel route. */
export function nextHopGone(
  node: Member,
  prefix: string,
  timeoutMs: number,
  intervalMs: number,
): Promise<number> {
  return waitFor(
    async () => ((await kernelNextHops(prefix)).includes(node.ipv4) ? undefined : performance.now()),
    { what: `${node.name}'s next hop gone`, timeoutMs, intervalMs },
  );
}

/** FRR's BFD peers by address (the router started with bfdd). */
export async function frrBfdPeersByAddress(): Promise<Map<string, FrrBfdPeer>> {
  return new Map((await frrBfdPeers(ROUTER.name)).map((p) => [p.peer, p]));
}

/** Waits until FRR's bfdd has every node's BFD session up; the peers then. */
export async function everyBfdUpAtFrr(timeoutMs = 30_000): Promise<Map<string, FrrBfdPeer>> {
  return waitFor(
    async () => {
      const peers = await frrBfdPeersByAddress();
      return NODES.every((n) => peers.get(n.ipv4)?.status === "up") ? peers : undefined;
    },
    {
      what: "every node's BFD session up at FRR",
      timeoutMs,
      describe: async () => JSON.stringify([...(await frrBfdPeersByAddress()).values()]),
    },
  );
}
