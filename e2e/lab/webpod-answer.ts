/**
 * Reading a webpod's answer (whoami style) to tell which pod answered and which node the request
 * entered the cluster through. kube-proxy masquerades traffic from outside to an External IP with
 * externalTrafficPolicy Cluster, so the pod sees the entering node's address: its own node's cni0
 * gateway (the first address of the node's podCIDR) when the pod is local, the node's eth0 address
 * when kube-proxy sent the request on to a pod on another node.
 */
import { NODES } from "../net/topology.ts";

export interface WebpodAnswer {
  readonly hostname: string;
  readonly remoteIp: string;
}

export function parseWebpodAnswer(body: string): WebpodAnswer | undefined {
  const hostname = body.match(/^Hostname: (\S+)$/m)?.[1];
  const remote = body.match(/^RemoteAddr: (\S+)$/m)?.[1];
  if (hostname === undefined || remote === undefined) return undefined;
  // "1.2.3.4:5678" or "[fc00::1]:5678"
  const remoteIp = remote.replace(/:\d+$/, "").replace(/^\[|\]$/g, "");
  return { hostname, remoteIp };
}

/** The node whose address `ip` is: its eth0 address, or its cni0 gateway (first address of its podCIDR). */
export function nodeOfSource(ip: string, podCidrs: ReadonlyMap<string, string>): string | undefined {
  const byAddress = NODES.find((n) => n.ipv4 === ip || n.ipv6 === ip);
  if (byAddress) return byAddress.name;
  for (const [node, cidr] of podCidrs) {
    const network = cidr.split("/")[0]!.split(".");
    const gateway = [...network.slice(0, 3), String(Number(network[3]) + 1)].join(".");
    if (gateway === ip) return node;
  }
  return undefined;
}
