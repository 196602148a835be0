/**
 * The routes a kind node has and our node namespaces lack. Pods on one node reach pods on another
 * through the lab segment: each node routes every other node's podCIDRs via that node's address of
 * the same family, which is what kindnet sets up. And the Service ranges need a route on the node
 * for a host-network process (the speaker) to connect to a ClusterIP at all: kube-proxy rewrites
 * the address only after the kernel found a route for it (kind nodes have a default route; ours
 * have none, so nothing can leave the testbed).
 */
import { kubectl } from "../cluster/cluster.ts";
import { SERVICE_CIDRS } from "../cluster/paths.ts";
import { run } from "../cluster/process.ts";
import { NODES } from "../net/topology.ts";

interface NodeList {
  items: Array<{ metadata: { name: string }; spec?: { podCIDR?: string; podCIDRs?: string[] } }>;
}

async function nodeList(): Promise<NodeList> {
  const r = await kubectl(["get", "nodes", "-o", "json"]);
  if (r.exitCode !== 0) throw new Error(`kubectl get nodes: ${r.stderr.trim()}`);
  return JSON.parse(r.stdout) as NodeList;
}

/**
 * Every podCIDR of each node, IPv4 first, as the controller-manager assigned them
 * (spec.podCIDRs); nodes without one are left out.
 */
export async function allPodCidrs(): Promise<Map<string, string[]>> {
  const found = new Map<string, string[]>();
  for (const item of (await nodeList()).items) {
    const cidrs = item.spec?.podCIDRs ?? (item.spec?.podCIDR ? [item.spec.podCIDR] : []);
    if (cidrs.length > 0) found.set(item.metadata.name, cidrs);
  }
  return found;
}

/** The IPv4 podCIDR of each node (spec.podCIDR, the primary family); nodes without one are left out. */
export async function podCidrs(): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  for (const item of (await nodeList()).items) {
    if (item.spec?.podCIDR) found.set(item.metadata.name, item.spec.podCIDR);
  }
  return found;
}

async function must(argv: string[], what: string): Promise<void> {
  const r = await run(argv, { check: false });
  if (r.exitCode !== 0) throw new Error(`${what}: ${r.stderr.trim()}`);
}

/** Adds (or corrects) the routes on every node; returns how many routes it set. */
export async function ensureNodeRoutes(): Promise<number> {
  const cidrs = await allPodCidrs();
  let set = 0;
  for (const node of NODES) {
    for (const range of SERVICE_CIDRS) {
      await must(
        ["ip", "-n", node.name, "route", "replace", range, "dev", node.ifname],
        `route ${range} in ${node.name}`,
      );
      set++;
    }
    for (const other of NODES) {
      if (other.name === node.name) continue;
      for (const cidr of cidrs.get(other.name) ?? []) {
        const via = cidr.includes(":") ? other.ipv6 : other.ipv4;
        await must(
          ["ip", "-n", node.name, "route", "replace", cidr, "via", via],
          `route ${cidr} via ${via} in ${node.name}`,
        );
        set++;
      }
    }
  }
  return set;
}
