/**
 * The seed lab's network, as data: which network namespaces exist, their addresses and MACs.
 *
 * The seed (kind on docker) put four nodes and a client container `mypc` on the docker network
 * 172.18.0.0/16. We keep that /16 and the node names, and reproduce docker's habit of deriving the
 * MAC from the IPv4 address (02:42 + the four address bytes), so a MAC seen in `ip neigh` maps back
 * to a node at a glance: 02:42:ac:12:00:03 is 172.18.0.3, myk8s-worker.
 *
 * IPv6 uses kind's default ULA prefix for its docker network, fc00:f853:ccd:e793::/64, with the
 * same host part as the IPv4 address's last byte written in hex (::2, ::3, ..., ::64 for .100).
 *
 * Pure: no I/O here, so tests and the lab can import it freely.
 */

export type Role = "node" | "client" | "router";

export interface Member {
  /** Network namespace name; for nodes it is also the Kubernetes Node name (as in kind). */
  readonly name: string;
  readonly role: Role;
  /** Interface name inside the namespace (kind names it eth0). */
  readonly ifname: string;
  /** Name of the veth peer that sits in the bridge namespace (at most 15 characters). */
  readonly bridgePort: string;
  readonly ipv4: string;
  readonly ipv6: string;
  readonly mac: string;
}

/** The bridge that joins everybody lives in its own namespace, so the host sees none of it. */
export const BRIDGE_NAMESPACE = "metalbun-br";
export const BRIDGE_NAME = "br0";

export const IPV4_PREFIX_LENGTH = 16;
export const IPV6_PREFIX = "fc00:f853:ccd:e793::";
export const IPV6_PREFIX_LENGTH = 64;
/** Port of the tiny web server in each node namespace (the "pod" behind every Service). */
export const WEB_PORT = 8080;

/**
 * The `kubernetes` Service's ClusterIP (first address of the cluster's 10.96.0.0/16 service CIDR).
 * kube-proxy would make it reach the apiserver; here a forwarder in each namespace does.
 */
export const APISERVER_SERVICE_IP = "10.96.0.1";
export const APISERVER_SERVICE_PORT = 443;

/** 02:42 followed by the four IPv4 bytes, as docker assigns them. */
export function macForIpv4(ipv4: string): string {
  const bytes = ipv4.split(".").map((part) => Number(part));
  if (bytes.length !== 4 || bytes.some((b) => !Number.isInteger(b) || b < 0 || b > 255)) {
    throw new Error(`not an IPv4 address: ${ipv4}`);
  }
  return ["02", "42", ...bytes.map((b) => b.toString(16).padStart(2, "0"))].join(":");
}

/** IPv6 twin of 172.18.0.N: the prefix followed by N in hex (172.18.0.100 -> ...::64). */
export function ipv6ForIpv4(ipv4: string): string {
  const last = Number(ipv4.split(".")[3]);
  return `${IPV6_PREFIX}${last.toString(16)}`;
}

function member(name: string, role: Role, bridgePort: string, ipv4: string): Member {
  return { name, role, ifname: "eth0", bridgePort, ipv4, ipv6: ipv6ForIpv4(ipv4), mac: macForIpv4(ipv4) };
}

/** Node namespaces, in the seed's order; the names are the Kubernetes Node names. */
export const NODES: readonly Member[] = [
  member("myk8s-control-plane", "node", "veth-cp", "172.18.0.2"),
  member("myk8s-worker", "node", "veth-worker", "172.18.0.3"),
  member("myk8s-worker2", "node", "veth-worker2", "172.18.0.4"),
  member("myk8s-worker3", "node", "veth-worker3", "172.18.0.5"),
];

/** The nodes that run workloads: every node but the control plane (tainted, as kubeadm does). */
export const WORKERS: readonly Member[] = NODES.slice(1);

/** The outside client of the seed lab. */
export const CLIENT: Member = member("mypc", "client", "veth-mypc", "172.18.0.100");

/** A namespace for the BGP peers of later work (FRR, GoBGP). */
export const ROUTER: Member = member("router", "router", "veth-router", "172.18.0.254");

/** Everybody attached to the bridge. */
export const MEMBERS: readonly Member[] = [...NODES, CLIENT, ROUTER];

/**
 * Every namespace the testbed owns. Only these names are ever created or deleted: namespace names
 * are global on the machine, so nothing else may be touched.
 */
export const NAMESPACES: readonly string[] = [BRIDGE_NAMESPACE, ...MEMBERS.map((m) => m.name)];

/** Namespaces that get the apiserver forwarder on 10.96.0.1:443 (the nodes and the client). */
export const APISERVER_REACHABLE_FROM: readonly string[] = [...NODES.map((n) => n.name), CLIENT.name];

export function memberNamed(name: string): Member {
  const found = MEMBERS.find((m) => m.name === name);
  if (!found)
    throw new Error(`no such testbed member: ${name} (known: ${MEMBERS.map((m) => m.name).join(", ")})`);
  return found;
}

export function nodeNamed(name: string): Member {
  const found = memberNamed(name);
  if (found.role !== "node") throw new Error(`${name} is a ${found.role}, not a node`);
  return found;
}

/** Which member owns this MAC (case-insensitive), for reading `ip neigh` output. */
export function memberByMac(mac: string): Member | undefined {
  const wanted = mac.toLowerCase();
  return MEMBERS.find((m) => m.mac === wanted);
}
