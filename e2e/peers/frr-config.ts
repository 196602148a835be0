/**
 * FRR's configuration for a router that peers with the cluster's nodes, generated from a typed
 * description (pure: no I/O). It mirrors the router template of MetalLB's BGP e2e: eBGP without
 * mandatory policy, address families activated one by one, multipath across nodes, IPv6 next hops
 * taken as the global address.
 */

export type AddressFamily = "ipv4" | "ipv6";

/** A number, or FRR's "internal" (same AS as ours) / "external" (any other AS). */
export type RemoteAs = number | "internal" | "external";

/** What a neighbour (or a peer-group of dynamic neighbours) is configured with. */
export interface FrrPeerSettings {
  readonly remoteAs: RemoteAs;
  /** TCP MD5 signature (RFC 2385). */
  readonly password?: string;
  /** eBGP multihop TTL; absent means directly connected (TTL 1). */
  readonly ebgpMultihop?: number;
  /** Keepalive and hold time in seconds (FRR's traditional profile: 60/180). */
  readonly timers?: { readonly keepaliveS: number; readonly holdS: number };
  /** Seconds between connection attempts (FRR's default: 120). */
  readonly connectRetryS?: number;
  /** Address families to activate (default: ipv4 only). */
  readonly families?: readonly AddressFamily[];
  /** Register the session with bfdd (needs the router started with bfd). */
  readonly bfd?: boolean;
  /** The bfdd profile (FrrRouterSpec.bfdProfiles) the session uses; absent: bfdd's 300 ms x 3. */
  readonly bfdProfile?: string;
}

/** One neighbour at a fixed address (a node IP). */
export interface FrrStaticNeighbor extends FrrPeerSettings {
  readonly kind: "static";
  readonly address: string;
}

/** Passive dynamic neighbours: any speaker connecting from these prefixes joins the peer-group. */
export interface FrrListenRange extends FrrPeerSettings {
  readonly kind: "range";
  /** The peer-group's name. */
  readonly name: string;
  readonly ranges: readonly string[];
}

export type FrrNeighbor = FrrStaticNeighbor | FrrListenRange;

export interface FrrRouterSpec {
  readonly asn: number;
  readonly routerId: string;
  readonly neighbors: readonly FrrNeighbor[];
  /** ECMP width per address family (default 8): one path per node announcing a VIP. */
  readonly maximumPaths?: number;
  /**
   * Send routes to the neighbours (default false). Off, FRR keeps what it learned from one node to
   * itself instead of advertising it to the others (it would, as eBGP), so nodes receive nothing.
   */
  readonly advertiseToNeighbors?: boolean;
  /** bfdd profiles, for neighbours' bfdProfile. */
  readonly bfdProfiles?: readonly FrrBfdProfile[];
}

export interface FrrBfdProfile {
  readonly name: string;
  readonly receiveIntervalMs: number;
  readonly transmitIntervalMs: number;
  readonly detectMultiplier: number;
}

export const IPV6_NEXT_HOP_MAP = "NODES-V6-IN";
export const DENY_ALL_MAP = "NODES-OUT-DENY";

function neighborName(n: FrrNeighbor): string {
  return n.kind === "static" ? n.address : n.name;
}

function peerLines(name: string, n: FrrPeerSettings): string[] {
  const lines = [` neighbor ${name} remote-as ${n.remoteAs}`];
  if (n.password !== undefined) lines.push(` neighbor ${name} password ${n.password}`);
  if (n.ebgpMultihop !== undefined) lines.push(` neighbor ${name} ebgp-multihop ${n.ebgpMultihop}`);
  if (n.timers) lines.push(` neighbor ${name} timers ${n.timers.keepaliveS} ${n.timers.holdS}`);
  if (n.connectRetryS !== undefined) lines.push(` neighbor ${name} timers connect ${n.connectRetryS}`);
  if (n.bfd) lines.push(` neighbor ${name} bfd`);
  if (n.bfd && n.bfdProfile !== undefined) lines.push(` neighbor ${name} bfd profile ${n.bfdProfile}`);
  return lines;
}

function familyBlock(spec: FrrRouterSpec, family: AddressFamily): string[] {
  const members = spec.neighbors.filter((n) => (n.families ?? ["ipv4"]).includes(family));
  if (members.length === 0) return [];
  const paths = spec.maximumPaths ?? 8;
  const lines = [
    ` address-family ${family} unicast`,
    `  maximum-paths ${paths}`,
    `  maximum-paths ibgp ${paths}`,
  ];
  for (const n of members) {
    const name = neighborName(n);
    lines.push(`  neighbor ${name} activate`);
    if (family === "ipv6") lines.push(`  neighbor ${name} route-map ${IPV6_NEXT_HOP_MAP} in`);
    if (!spec.advertiseToNeighbors) lines.push(`  neighbor ${name} route-map ${DENY_ALL_MAP} out`);
  }
  lines.push(" exit-address-family");
  return lines;
}

/** bgpd's configuration file. */
export function frrBgpdConfig(spec: FrrRouterSpec): string {
  const lines = [
    "frr defaults traditional",
    // A node's UPDATE may carry both a global and a link-local next hop (RFC 2545 §3); the route
    // must point at the global one so the kernel's ECMP route names the nodes' addresses.
    `route-map ${IPV6_NEXT_HOP_MAP} permit 10`,
    " set ipv6 next-hop prefer-global",
    "exit",
    `route-map ${DENY_ALL_MAP} deny 10`,
    "exit",
    `router bgp ${spec.asn}`,
    ` bgp router-id ${spec.routerId}`,
    " bgp log-neighbor-changes",
    // FRR refuses eBGP routes without an explicit policy by default (RFC 8212); MetalLB's routers
    // turn that off, and so do we.
    " no bgp ebgp-requires-policy",
    " no bgp default ipv4-unicast",
    " no bgp network import-check",
    // Nodes may use different ASNs; their paths are still equal for ECMP.
    " bgp bestpath as-path multipath-relax",
  ];
  for (const n of spec.neighbors) {
    if (n.kind === "range") {
      lines.push(` neighbor ${n.name} peer-group`);
      lines.push(...peerLines(n.name, n));
      for (const range of n.ranges) lines.push(` bgp listen range ${range} peer-group ${n.name}`);
    } else {
      lines.push(...peerLines(n.address, n));
    }
  }
  lines.push(...familyBlock(spec, "ipv4"), ...familyBlock(spec, "ipv6"), "exit");
  return `${lines.join("\n")}\n`;
}

/** bfdd's configuration file: its profiles (sessions come from bgpd's `neighbor ... bfd`). */
export function frrBfddConfig(spec: FrrRouterSpec): string {
  const lines: string[] = [];
  if ((spec.bfdProfiles ?? []).length > 0) {
    lines.push("bfd");
    for (const p of spec.bfdProfiles ?? []) {
      lines.push(
        ` profile ${p.name}`,
        `  receive-interval ${p.receiveIntervalMs}`,
        `  transmit-interval ${p.transmitIntervalMs}`,
        `  detect-multiplier ${p.detectMultiplier}`,
        " exit",
      );
    }
    lines.push("exit");
  }
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`;
}

/** zebra's configuration file: nothing beyond the defaults (it installs what bgpd selects). */
export function frrZebraConfig(hostname: string): string {
  return `hostname ${hostname}\n`;
}
