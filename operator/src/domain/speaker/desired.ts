/**
 * What this node's Layer 2 decisions mean for the announcer, the status objects and the metrics:
 * whole desired sets, rebuilt on every reconcile, in a stable order.
 */
import type { L2Announce, L2Decision } from "../announce/l2-decision.ts";
import { compareAddresses, parseIP } from "../ip/address.ts";

/** One IP to answer ARP/NDP for, with every Service on it (shared IPs appear once). */
export interface L2Entry {
  readonly ip: string;
  /** Interfaces to answer on; [] means every eligible interface. */
  readonly interfaces: readonly string[];
  /** Service keys, sorted. */
  readonly services: readonly string[];
}

/** A ServiceL2Status this node should hold: one per announced Service. */
export interface DesiredL2Status {
  readonly key: string;
  readonly node: string;
  readonly serviceName: string;
  readonly serviceNamespace: string;
  readonly interfaces: readonly { readonly name: string }[];
}

/** A `metallb_speaker_announced` row (value 1). */
export interface AnnouncedRow {
  readonly service: string;
  readonly protocol: "layer2";
  readonly node: string;
  readonly ip: string;
}

const announced = (decisions: readonly L2Decision[]): L2Announce[] =>
  decisions.filter((d): d is L2Announce => d.announce);

function compareIPText(a: string, b: string): number {
  const x = parseIP(a);
  const y = parseIP(b);
  if (x !== undefined && y !== undefined) return compareAddresses(x, y);
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * One entry per IP. Services sharing an IP share its entry: their interface lists are merged,
 * and "all interfaces" from any of them wins (answering on fewer would break that Service).
 */
export function l2EntriesOf(decisions: readonly L2Decision[]): L2Entry[] {
  const byIP = new Map<string, { services: Set<string>; interfaces: Set<string>; all: boolean }>();
  for (const decision of announced(decisions)) {
    for (const ip of decision.ips) {
      const entry = byIP.get(ip) ?? {
        services: new Set<string>(),
        interfaces: new Set<string>(),
        all: false,
      };
      byIP.set(ip, entry);
      entry.services.add(decision.key);
      if (decision.interfaces.length === 0) entry.all = true;
      for (const name of decision.interfaces) entry.interfaces.add(name);
    }
  }
  return [...byIP.entries()]
    .sort(([a], [b]) => compareIPText(a, b))
    .map(([ip, e]) => ({
      ip,
      interfaces: e.all ? [] : [...e.interfaces].sort(),
      services: [...e.services].sort(),
    }));
}

export function desiredL2Statuses(decisions: readonly L2Decision[], node: string): DesiredL2Status[] {
  return announced(decisions).map((d) => ({
    key: d.key,
    node,
    serviceName: d.name,
    serviceNamespace: d.namespace,
    interfaces: d.interfaces.map((name) => ({ name })),
  }));
}

export function announcedRows(decisions: readonly L2Decision[], node: string): AnnouncedRow[] {
  return announced(decisions).flatMap((d) =>
    d.ips.map((ip) => ({ service: d.key, protocol: "layer2" as const, node, ip })),
  );
}
