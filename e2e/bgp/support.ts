/**
 * The BGP e2e tests' common ground: real Kubernetes nodes (e2e/nodes) with the bundle installed as
 * a user installs it, the seed's webpods and pool but no L2Advertisement, FRR in the `router`
 * namespace, and mypc routed to the pool through the router. The speakers are the DaemonSet's
 * pods (e2e/nodes/speaker-pods.ts); kube-proxy carries a VIP's traffic to the webpods.
 */
import { join } from "node:path";
import { kubectl } from "../cluster/harness.ts";
import { nodeOfSource, parseWebpodAnswer } from "../lab/webpod-answer.ts";
import { execIn } from "../net/exec.ts";
import { CLIENT, ROUTER } from "../net/topology.ts";
import { installedBundleAndWebpods } from "../nodes/install.ts";
import { allPodCidrs } from "../nodes/pod-routes.ts";
import { realClusterDown, realClusterUp } from "../nodes/real-cluster.ts";
import { type FrrHandle, type FrrOptions, startFrr } from "../peers/frr.ts";
import type { FrrRouterSpec } from "../peers/frr-config.ts";
import { frrRoutes } from "../peers/frr-query.ts";
import { kernelRoute } from "../peers/kernel-route.ts";
import { addClientPoolRoutes, removeClientPoolRoutes } from "../peers/routing.ts";
import { waitFor } from "../peers/wait.ts";

const SEED = join(import.meta.dir, "..", "lab", "seed");

export const ROUTER_ASN = 64500;
export const NODE_ASN = 64512;
export const NAMESPACE = "metallb-system";

export interface BgpTestbed {
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

/** Each node's podCIDR, read once per testbed: a webpod's answer names its entering node by it. */
let cidrs: Map<string, string[]> | undefined;

/** Real nodes, the bundle and the webpods installed, the seed's pool; no advertisement yet. */
export async function bgpNodesUp(): Promise<void> {
  cidrs = undefined;
  await realClusterUp({ proxyMode: "iptables" });
  await installedBundleAndWebpods();
  await ok(["apply", "-f", join(SEED, "ippool.yaml")]);
}

export async function bgpTestbedUp(
  spec: FrrRouterSpec = routerSpec(),
  frrOptions: FrrOptions = {},
): Promise<BgpTestbed> {
  await bgpNodesUp();
  const frr = await startFrr(ROUTER.name, spec, frrOptions);
  await addClientPoolRoutes();
  return { frr };
}

export async function bgpTestbedDown(bed: BgpTestbed | undefined): Promise<void> {
  await removeClientPoolRoutes().catch(() => undefined);
  await bed?.frr.stop().catch(() => undefined);
  await realClusterDown();
}

export function aBgpPeer(name: string, spec: Record<string, unknown>): object {
  return {
    apiVersion: "metallb.io/v1beta2",
    kind: "BGPPeer",
    metadata: { name, namespace: NAMESPACE },
    spec: { myASN: NODE_ASN, peerASN: ROUTER_ASN, peerAddress: ROUTER.ipv4, holdTime: "3s", ...spec },
  };
}

/** A BFDProfile sending and expecting a packet every `ms`, three missed making a failure. */
export function aBfdProfile(name: string, ms = 300): object {
  return {
    apiVersion: "metallb.io/v1beta1",
    kind: "BFDProfile",
    metadata: { name, namespace: NAMESPACE },
    spec: { receiveInterval: ms, transmitInterval: ms, detectMultiplier: 3 },
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

/** FRR's next hops for a prefix, sorted (empty when absent). */
export async function ribNextHops(prefix: string): Promise<string[]> {
  const route = (await frrRoutes(ROUTER.name, "ipv4")).get(prefix);
  return [...(route?.nexthops ?? [])].sort();
}

export async function kernelNextHops(prefix: string): Promise<string[]> {
  return [...(await kernelRoute(ROUTER.name, prefix))].sort();
}

/**
 * One HTTP request from mypc to the VIP; the answer is the node the request entered the cluster
 * through (kube-proxy masquerades it with that node's address, e2e/lab/webpod-answer.ts), or what
 * went wrong.
 */
export async function curlFromClient(vip: string, timeoutS = 2): Promise<string> {
  const url = vip.includes(":") ? `http://[${vip}]:80/` : `http://${vip}:80/`;
  const r = await execIn(CLIENT.name, ["curl", "-s", "-g", "-m", String(timeoutS), url]);
  if (r.exitCode !== 0) return `curl exit ${r.exitCode}`;
  const answer = parseWebpodAnswer(r.stdout);
  if (!answer) return `not a webpod answer: ${r.stdout.trim().slice(0, 80)}`;
  cidrs ??= await allPodCidrs();
  return nodeOfSource(answer.remoteIp, cidrs) ?? `from ${answer.remoteIp}`;
}

/**
 * Waits until mypc's requests to a new External IP are answered five times in a row. The router
 * may route to the nodes before kube-proxy on each of them has programmed the IP (its sync runs
 * at most every second); five answers, from whichever nodes the hash picks, show they caught up.
 */
export async function servedThrough(vip: string, timeoutMs = 20_000): Promise<void> {
  await waitFor(
    async () => {
      for (let i = 0; i < 5; i++) {
        const answer = await curlFromClient(vip, 1);
        if (!answer.startsWith("myk8s-")) return undefined;
      }
      return true;
    },
    { what: `five answers in a row through ${vip}`, timeoutMs },
  );
}
