/**
 * What the bench reads at the router: FRR's per-neighbour prefix counts (`show bgp ipv4 unicast
 * summary json`, cheap whatever the RIB's size, unlike a dump of the RIB), and the kernel's route
 * changes as they happen (`ip monitor route` in the router's namespace), stamped on arrival.
 */
import { vtysh } from "../peers/frr.ts";

export interface FrrPeerCount {
  readonly state: string;
  /** Prefixes accepted from this neighbour into FRR's BGP RIB (Adj-RIB-In after policy). */
  readonly prefixes: number;
}

interface FamilySummaryJson {
  peers?: Record<string, { state?: string; pfxRcd?: number }>;
}

/**
 * `show bgp ipv4 unicast summary json` (one family: its summary at the top) or `show bgp summary
 * json` (each family under its name): neighbour address -> state and prefixes received.
 */
export function parseFrrPeerCounts(json: string): Map<string, FrrPeerCount> {
  const parsed = JSON.parse(json.trim() === "" ? "{}" : json) as FamilySummaryJson & {
    ipv4Unicast?: FamilySummaryJson;
  };
  const counts = new Map<string, FrrPeerCount>();
  for (const [address, peer] of Object.entries(parsed.peers ?? parsed.ipv4Unicast?.peers ?? {})) {
    counts.set(address, { state: peer.state ?? "", prefixes: peer.pfxRcd ?? 0 });
  }
  return counts;
}

export async function frrPeerCounts(ns: string): Promise<Map<string, FrrPeerCount>> {
  return parseFrrPeerCounts(await vtysh(ns, "show bgp ipv4 unicast summary json"));
}

/** One line of `ip monitor route`: a route added or replaced, or deleted, for `prefix`. */
export interface RouteEvent {
  readonly kind: "added" | "deleted";
  /** As `ip` prints it: a host route without its /32. */
  readonly prefix: string;
}

/**
 * A route line of `ip monitor route` (`172.18.255.201 nhid 20 via 172.18.0.3 dev eth0 proto bgp
 * metric 20`, or `Deleted ...`); undefined for the continuation lines of a multipath route
 * (`\tnexthop via ...`) and anything else.
 */
export function parseRouteEvent(line: string): RouteEvent | undefined {
  const words = line.trim().split(/\s+/);
  const deleted = words[0] === "Deleted";
  const prefix = deleted ? words[1] : words[0];
  if (prefix === undefined || !/^\d+\.\d+\.\d+\.\d+(\/\d+)?$/.test(prefix) || line.startsWith("\t")) {
    return undefined;
  }
  return { kind: deleted ? "deleted" : "added", prefix };
}
