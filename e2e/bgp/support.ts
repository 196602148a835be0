/**
 * The BGP e2e tests' common ground: the seeded testbed (cluster, namespaces, metalbun as pods)
 * switched from Layer 2 to BGP, FRR in the `router` namespace, mypc routed to the pool through the
 * router, and each node's "kube-proxy" DNAT for the VIPs (its own web server answers, with its name).
 */
import { kubectl } from "../cluster/harness.ts";
import type { RunningOperator } from "../lab/operator.ts";
import { seededTestbedDown, seededTestbedUp } from "../lab/seeded-testbed.ts";
import { execIn } from "../net/exec.ts";
import { addServiceDnat } from "../net/service-dnat.ts";
import { CLIENT, NODES, ROUTER, WEB_PORT } from "../net/topology.ts";
import { type FrrHandle, startFrr } from "../peers/frr.ts";
import type { FrrRouterSpec } from "../peers/frr-config.ts";
import { frrRoutes } from "../peers/frr-query.ts";
import { kernelRoute } from "../peers/kernel-route.ts";
import { addClientPoolRoutes, removeClientPoolRoutes } from "../peers/routing.ts";

export const ROUTER_ASN = 64500;
export const NODE_ASN = 64512;
export const NAMESPACE = "metallb-system";

export interface BgpTestbed {
  readonly op: RunningOperator;
  frr: FrrHandle;
}

export async function ok(args: string[], stdin?: string): Promise<string> {
  const r = await kubectl(args, stdin === undefined ? {} : { stdin });
  if (r.exitCode !== 0) throw new Error(`kubectl ${args.join(" ")}: ${r.stderr.trim()}`);
  return r.stdout;
}

export const apply = (...objects: object[]) =>
  ok(["apply", "-f", "-"], objects.map((o) => JSON.stringify(o)).join("\n"));

/** A router that accepts every node of the segment as an eBGP (or iBGP) neighbour. */
export function routerSpec(
  o: Partial<FrrRouterSpec> & { remoteAs?: number | "external" | "internal" } = {},
): FrrRouterSpec {
  return {
    asn: o.asn ?? ROUTER_ASN,
    routerId: ROUTER.ipv4,
    neighbors: o.neighbors ?? [
      {
        kind: "range",
        name: "NODES",
        ranges: ["172.18.0.0/24"],
        remoteAs: o.remoteAs ?? "external",
        timers: { keepaliveS: 1, holdS: 3 },
        connectRetryS: 1,
        families: ["ipv4"],
      },
    ],
  };
}

export async function bgpTestbedUp(spec: FrrRouterSpec = routerSpec()): Promise<BgpTestbed> {
  const op = await seededTestbedUp();
  await ok(["delete", "l2advertisement", "-n", NAMESPACE, "my-l2-advertise"]);
  const frr = await startFrr(ROUTER.name, spec);
  await addClientPoolRoutes();
  return { op, frr };
}

export async function bgpTestbedDown(bed: BgpTestbed | undefined): Promise<void> {
  await removeClientPoolRoutes().catch(() => undefined);
  await bed?.frr.stop().catch(() => undefined);
  await seededTestbedDown(bed?.op);
}

export function aBgpPeer(name: string, spec: Record<string, unknown>): object {
  return {
    apiVersion: "metallb.io/v1beta2",
    kind: "BGPPeer",
    metadata: { name, namespace: NAMESPACE },
    spec: { myASN: NODE_ASN, peerASN: ROUTER_ASN, peerAddress: ROUTER.ipv4, holdTime: "3s", ...spec },
  };
}

export function aBgpAdvertisement(name: string, spec: Record<string, unknown> = {}): object {
  return {
    apiVersion: "metallb.io/v1beta1",
    kind: "BGPAdvertisement",
    metadata: { name, namespace: NAMESPACE },
    spec: { ipAddressPools: ["my-ippool"], ...spec },
  };
}

/** Every node's DNAT sends the VIP's port 80 to its own web server, as kube-proxy would. */
export async function dnatEverywhere(vip: string): Promise<void> {
  for (const node of NODES) await addServiceDnat(node.name, vip);
}

/** FRR's next hops for a prefix, sorted (empty when absent). */
export async function ribNextHops(prefix: string): Promise<string[]> {
  const route = (await frrRoutes(ROUTER.name, "ipv4")).get(prefix);
  return [...(route?.nexthops ?? [])].sort();
}

export async function kernelNextHops(prefix: string): Promise<string[]> {
  return [...(await kernelRoute(ROUTER.name, prefix))].sort();
}

/** One HTTP request from mypc to the VIP; the answer names the node that served it. */
export async function curlFromClient(vip: string, timeoutS = 2): Promise<string> {
  const r = await execIn(CLIENT.name, ["curl", "-s", "-m", String(timeoutS), `http://${vip}:80/`]);
  return r.exitCode === 0 ? r.stdout.trim() : `curl exit ${r.exitCode}`;
}

export { WEB_PORT };
