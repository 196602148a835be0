/**
 * gobgpd's TOML configuration, generated from a typed description (pure: no I/O). GoBGP plays two
 * parts in the testbed: a router (passive, dynamic neighbours, multipath) and a stand-in node that
 * announces prefixes to FRR.
 */
import type { AddressFamily } from "./frr-config.ts";

export interface GobgpPeerSettings {
  readonly peerAs: number;
  /** TCP MD5 signature (RFC 2385). */
  readonly password?: string;
  /** Wait for the peer to connect (default false). */
  readonly passive?: boolean;
  readonly timers?: { readonly keepaliveS: number; readonly holdS: number };
  /** Seconds between connection attempts (default 5; GoBGP's own 120 makes re-peering slow). */
  readonly connectRetryS?: number;
  /** Address families to negotiate (default: ipv4 only). */
  readonly families?: readonly AddressFamily[];
  /** eBGP multihop TTL; absent means directly connected. */
  readonly ebgpMultihop?: number;
  /** Graceful restart as a helper (RFC 4724): keep the peer's routes as stale while it restarts. */
  readonly gracefulRestartHelper?: boolean;
  /** BFD (RFC 5880/5881) with these timers; GoBGP detects with its own receive interval x multiplier. */
  readonly bfd?: { readonly intervalMs: number; readonly multiplier: number };
}

export interface GobgpNeighbor extends GobgpPeerSettings {
  readonly address: string;
}

/** Passive dynamic neighbours from these prefixes, configured as one peer-group. */
export interface GobgpDynamicNeighbors extends GobgpPeerSettings {
  readonly peerGroup: string;
  readonly prefixes: readonly string[];
}

export interface GobgpSpec {
  readonly asn: number;
  readonly routerId: string;
  /** TCP port to listen on (default 179); -1 does not listen (a stand-in node that only connects). */
  readonly listenPort?: number;
  readonly neighbors?: readonly GobgpNeighbor[];
  readonly dynamicNeighbors?: readonly GobgpDynamicNeighbors[];
}

const FAMILY_NAMES: Record<AddressFamily, string> = { ipv4: "ipv4-unicast", ipv6: "ipv6-unicast" };

const quoted = (s: string) => JSON.stringify(s);

/** Keys of the neighbour's (or peer-group's) own `config` table. */
function configKeys(s: GobgpPeerSettings): string[] {
  const keys = [`    peer-as = ${s.peerAs}`];
  if (s.password !== undefined) keys.push(`    auth-password = ${quoted(s.password)}`);
  return keys;
}

/** The sub-tables of a neighbour or peer-group (timers, transport, multihop, GR, families). */
function subTables(table: string, s: GobgpPeerSettings): string[] {
  const lines = [`  [${table}.timers.config]`, `    connect-retry = ${s.connectRetryS ?? 5}`];
  if (s.timers) {
    lines.push(`    hold-time = ${s.timers.holdS}`, `    keepalive-interval = ${s.timers.keepaliveS}`);
  }
  if (s.passive) lines.push(`  [${table}.transport.config]`, "    passive-mode = true");
  if (s.ebgpMultihop !== undefined) {
    lines.push(
      `  [${table}.ebgp-multihop.config]`,
      "    enabled = true",
      `    multihop-ttl = ${s.ebgpMultihop}`,
    );
  }
  if (s.gracefulRestartHelper) lines.push(`  [${table}.graceful-restart.config]`, "    enabled = true");
  if (s.bfd) {
    lines.push(
      `  [${table}.bfd.config]`,
      "    enabled = true",
      `    desired-minimum-tx-interval = ${s.bfd.intervalMs * 1000}`,
      `    required-minimum-receive = ${s.bfd.intervalMs * 1000}`,
      `    detection-multiplier = ${s.bfd.multiplier}`,
    );
  }
  for (const family of s.families ?? ["ipv4"]) {
    lines.push(
      `  [[${table}.afi-safis]]`,
      `    [${table}.afi-safis.config]`,
      `      afi-safi-name = ${quoted(FAMILY_NAMES[family])}`,
    );
    if (s.gracefulRestartHelper) {
      lines.push(`    [${table}.afi-safis.mp-graceful-restart.config]`, "      enabled = true");
    }
  }
  return lines;
}

export function gobgpConfig(spec: GobgpSpec): string {
  const lines = [
    "[global.config]",
    `  as = ${spec.asn}`,
    `  router-id = ${quoted(spec.routerId)}`,
    `  port = ${spec.listenPort ?? 179}`,
    // Keep every equal path (one per node) rather than only the best.
    "[global.use-multiple-paths.config]",
    "  enabled = true",
  ];
  for (const n of spec.neighbors ?? []) {
    lines.push(
      "[[neighbors]]",
      "  [neighbors.config]",
      `    neighbor-address = ${quoted(n.address)}`,
      ...configKeys(n),
      ...subTables("neighbors", n),
    );
  }
  for (const d of spec.dynamicNeighbors ?? []) {
    lines.push(
      "[[peer-groups]]",
      "  [peer-groups.config]",
      `    peer-group-name = ${quoted(d.peerGroup)}`,
      ...configKeys(d),
      ...subTables("peer-groups", d),
    );
    for (const prefix of d.prefixes) {
      lines.push(
        "[[dynamic-neighbors]]",
        "  [dynamic-neighbors.config]",
        `    prefix = ${quoted(prefix)}`,
        `    peer-group = ${quoted(d.peerGroup)}`,
      );
    }
  }
  return `${lines.join("\n")}\n`;
}
