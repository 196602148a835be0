/**
 * What this node's Layer 2 decisions mean for the announcer, the status objects and the metrics:
 * whole desired sets, rebuilt on every reconcile, in a stable order.
 */
import type { L2Announce, L2Decision } from "../announce/l2-decision.ts";
import { compareAddresses, type IPAddress, parseIP } from "../ip/address.ts";

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

/** A ServiceBGPStatus this node should hold: one per Service it advertises to some peer. */
export interface DesiredBgpStatus {
  readonly key: string;
  readonly node: string;
  readonly serviceName: string;
  readonly serviceNamespace: string;
  /** BGPPeer names the Service is advertised to from this node, sorted (MetalLB's `peers`). */
  readonly peers: readonly string[];
}

const announced = (decisions: readonly L2Decision[]): L2Announce[] =>
  decisions.filter((d): d is L2Announce => d.announce);

/**
 * What each announcing decision contributes to the outcome (its IPs parsed, its entry when it
 * holds its IPs alone, its ServiceL2Status), kept for as long as the decision
 * object lives. The decision memo reuses unchanged decisions, so a run over 10k Services
 * rebuilds only what changed: allocating these afresh on every run left the speaker's heap twice
 * the size of what it keeps (the heap never moves objects; the survivors of each run land
 * scattered among its garbage). Caches of pure functions: they never change an outcome.
 */
interface Shape {
  readonly addresses: readonly (IPAddress | undefined)[];
  /** One entry per IP, for when the decision holds the IP alone. */
  readonly entries: readonly L2Entry[];
}

/** The empty list every "all interfaces" entry and status shares (most of them). */
const NONE: readonly never[] = Object.freeze([]);

const shapes = new WeakMap<L2Announce, Shape>();
const statuses = new WeakMap<L2Announce, DesiredL2Status>();

function shapeOf(decision: L2Announce): Shape {
  let shape = shapes.get(decision);
  if (shape === undefined) {
    const interfaces = decision.interfaces.length === 0 ? NONE : [...new Set(decision.interfaces)].sort();
    const services = [decision.key];
    shape = {
      addresses: decision.ips.map(parseIP),
      entries: decision.ips.map((ip) => ({ ip, interfaces, services })),
    };
    shapes.set(decision, shape);
  }
  return shape;
}

function statusOf(decision: L2Announce, node: string): DesiredL2Status {
  const cached = statuses.get(decision);
  if (cached !== undefined && cached.node === node) return cached;
  const status: DesiredL2Status = {
    key: decision.key,
    node,
    serviceName: decision.name,
    serviceNamespace: decision.namespace,
    interfaces: decision.interfaces.length === 0 ? NONE : decision.interfaces.map((name) => ({ name })),
  };
  statuses.set(decision, status);
  return status;
}

/** Address order; text order for what does not parse (never seen: the decisions hold canonical IPs). */
function compareIPs(a: IPAddress | undefined, b: IPAddress | undefined, x: string, y: string): number {
  if (a !== undefined && b !== undefined) return compareAddresses(a, b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * One entry per IP. Services sharing an IP share its entry: their interface lists are merged,
 * and "all interfaces" from any of them wins (answering on fewer would break that Service).
 */
export function l2EntriesOf(decisions: readonly L2Decision[]): L2Entry[] {
  // IP -> the decision announcing it (the common case), or every one of them when it is shared.
  const byIP = new Map<string, { first: L2Announce; index: number; more?: L2Announce[] }>();
  for (const decision of announced(decisions)) {
    decision.ips.forEach((ip, index) => {
      const found = byIP.get(ip);
      if (found === undefined) byIP.set(ip, { first: decision, index });
      else if (found.more === undefined) found.more = [decision];
      else found.more.push(decision);
    });
  }
  const entries: L2Entry[] = [];
  const addresses: (IPAddress | undefined)[] = [];
  for (const [ip, { first, index, more }] of byIP) {
    const own = shapeOf(first);
    addresses.push(own.addresses[index]);
    if (more === undefined) {
      entries.push(own.entries[index]!);
      continue;
    }
    const all = [first, ...more];
    entries.push({
      ip,
      interfaces: all.some((d) => d.interfaces.length === 0)
        ? []
        : [...new Set(all.flatMap((d) => d.interfaces))].sort(),
      services: [...new Set(all.map((d) => d.key))].sort(),
    });
  }
  const order = entries.map((_, i) => i);
  order.sort((i, j) => compareIPs(addresses[i], addresses[j], entries[i]!.ip, entries[j]!.ip));
  return order.map((i) => entries[i]!);
}

export function desiredL2Statuses(decisions: readonly L2Decision[], node: string): DesiredL2Status[] {
  return announced(decisions).map((d) => statusOf(d, node));
}
