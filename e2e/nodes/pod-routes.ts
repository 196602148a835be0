/**
 * Pods on one node reach pods on another through the lab segment: each node routes every other
 * node's podCIDR via that node's address, which is what kindnet sets up in a kind cluster.
 */
import { kubectl } from "../cluster/cluster.ts";
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
export async function ensurePodRoutes(): Promise<number> {
  const cidrs = await podCidrs();
  let set = 0;
  for (const node of NODES) {
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
