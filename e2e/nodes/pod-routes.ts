/**
 * The routes a kind node has and our node namespaces lack. Pods on one node reach pods on another
 * through the lab segment: each node routes every other node's podCIDR via that node's address,
 * which is what kindnet sets up. And the Service range needs a route on the node for a
 * host-network process (the speaker) to connect to a ClusterIP at all: kube-proxy rewrites the
 * address only after the kernel found a route for it (kind nodes have a default route; ours have
 * none, so nothing can leave the testbed).
 */
import { kubectl } from "../cluster/cluster.ts";
import { SERVICE_CIDRS } from "../cluster/paths.ts";
import { run } from "../cluster/process.ts";
import { NODES } from "../net/topology.ts";

interface NodeList {
  items: Array<{ metadata: { name: string }; spec?: { podCIDR?: string } }>;
}

/** podCIDR per node name, as the controller-manager assigned them (nodes without one are left out). */
export async function podCidrs(): Promise<Map<string, string>> {
  const r = await kubectl(["get", "nodes", "-o", "json"]);
  if (r.exitCode !== 0) throw new Error(`kubectl get nodes: ${r.stderr.trim()}`);
  const list = JSON.parse(r.stdout) as NodeList;
  const found = new Map<string, string>();
  for (const item of list.items) {
    if (item.spec?.podCIDR) found.set(item.metadata.name, item.spec.podCIDR);
  }
  return found;
}

/** Adds (or corrects) the routes on every node; returns how many routes it set. */
export async function ensureNodeRoutes(): Promise<number> {
  const cidrs = await podCidrs();
  let set = 0;
  for (const node of NODES) {
    const service = await run(
      ["ip", "-n", node.name, "route", "replace", SERVICE_CIDRS[0], "dev", node.ifname],
      {
        check: false,
      },
    );
    if (service.exitCode !== 0)
      throw new Error(`route ${SERVICE_CIDRS[0]} in ${node.name}: ${service.stderr.trim()}`);
    set++;
    for (const other of NODES) {
      const cidr = cidrs.get(other.name);
      if (other.name === node.name || cidr === undefined) continue;
      const r = await run(["ip", "-n", node.name, "route", "replace", cidr, "via", other.ipv4], {
        check: false,
      });
      if (r.exitCode !== 0)
        throw new Error(`route ${cidr} via ${other.ipv4} in ${node.name}: ${r.stderr.trim()}`);
      set++;
    }
  }
  return set;
}
