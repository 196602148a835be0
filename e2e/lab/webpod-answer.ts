/**
 * Reading a webpod's answer (whoami style) to tell which pod answered and which node the request
 * entered the cluster through. kube-proxy masquerades traffic from outside to an External IP with
 * externalTrafficPolicy Cluster, so the pod sees the entering node's address: its own node's cni0
 * gateway (the first address of the node's podCIDR of the request's family) when the pod is local,
 * the node's eth0 address when kube-proxy sent the request on to a pod on another node.
 */
import {
  canonicalIP,
  firstAddress,
  formatIP,
  nextAddress,
  parseCIDR,
} from "../../operator/src/domain/ip/index.ts";
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

/** The first address of a podCIDR: the node's cni0 gateway, as the bridge plugin assigns it. */
function gatewayOf(cidr: string): string | undefined {
  const parsed = parseCIDR(cidr);
  if (!parsed.ok) return undefined;
  const gateway = nextAddress(firstAddress(parsed.value));
  return gateway === undefined ? undefined : formatIP(gateway);
}

/**
 * The node whose address `ip` is: its eth0 address (IPv4 or IPv6), or its cni0 gateway in a family
 * of `podCidrs` (a node's podCIDR, or all of them as allPodCidrs() in e2e/nodes/pod-routes.ts reads).
 */
export function nodeOfSource(
  ip: string,
  podCidrs: ReadonlyMap<string, string | readonly string[]>,
): string | undefined {
  const address = canonicalIP(ip);
  if (address === undefined) return undefined;
  const byAddress = NODES.find((n) => n.ipv4 === address || canonicalIP(n.ipv6) === address);
  if (byAddress) return byAddress.name;
  for (const [node, cidrs] of podCidrs) {
    const each: readonly string[] = typeof cidrs === "string" ? [cidrs] : cidrs;
    if (each.some((cidr) => gatewayOf(cidr) === address)) return node;
  }
  return undefined;
}
