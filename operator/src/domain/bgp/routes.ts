/**
 * The routes this node originates, per session, for the Services it announces over BGP (those
 * that passed the checks common to every protocol), as MetalLB's bgp_controller builds them:
 *
 * - the BGPAdvertisements of the Service's pool apply when they select this node (`nodes`) and
 *   their serviceSelectors are empty or match the Service's labels;
 * - each one originates every IP of the Service masked to its aggregation length, toward the
 *   sessions its `peers` names (none: every session of this node), IPv4 prefixes only on
 *   sessions that carry IPv4 and IPv6 prefixes only on those carrying IPv6;
 * - one prefix toward one peer is one route, however many Services and advertisements lead to it:
 *   their communities are unioned, and it is withdrawn only when the last of them goes.
 *
 * Per Service it also says which peers it is advertised to (ServiceBGPStatus `status.peers`),
 * or why it has no route at all. Output order never depends on input order.
 */
import { byCodeUnits } from "../code-unit-order.ts";
import type { Pool } from "../config/types.ts";
import { anySelectorMatches, type Labels } from "../selector/label-selector.ts";
import {
  type AdvertisementPlan,
  mergedAttributes,
  poolPlanFor,
  type RouteAttributes,
  sessionsPrint,
} from "./advertisement-plan.ts";
import { originatedPrefix } from "./prefix.ts";
import type { BgpDesired, BgpRoute, BgpSessionSpec } from "./types.ts";

/** A Service this node announces over BGP (the common checks passed). */
export interface BgpServiceInput {
  /** `namespace/name`; unique in one call. */
  readonly key: string;
  /** Its LoadBalancer IPs in canonical text (AnnounceRequest.ips). */
  readonly ips: readonly string[];
  /** The pool holding them. */
  readonly pool: Pool;
  /** The Service's labels, for BGPAdvertisement serviceSelectors. */
  readonly labels: Labels;
}

export interface BgpRoutesInput {
  /** This speaker's node. */
  readonly node: string;
  /** This node's sessions (bgpSessionsFor). */
  readonly sessions: readonly BgpSessionSpec[];
  readonly services: readonly BgpServiceInput[];
  /**
   * The routes of the last call (its `desired.routes`), if any: equal routes are returned as those
   * same objects, and a peer whose routes are all equal gets that same list, so that an unchanged
   * table costs its holders (the announcer, the session Worker) nothing, and a run leaves no new
   * copy of 10k routes behind. Never changes the outcome.
   */
  readonly previous?: ReadonlyMap<string, readonly BgpRoute[]>;
}

/** Why a Service that passed the common checks originates no route from this node. */
export type BgpRouteWithdrawReason =
  /** No BGPAdvertisement of its pool both selects this node and matches the Service's labels. */
  | "noMatchingAdvertisement"
  /** Advertisements apply, but none targets a session this node holds (`peers`, nodeSelectors). */
  | "noPeerForAdvertisement"
  /** Sessions are targeted, but none carries the family of the Service's IPs. */
  | "familyNotCarried"
  /** None of `ips` is canonical address text. */
  | "invalidIP";

export interface BgpServiceRoutes {
  /** BGPPeer names the Service is advertised to from this node, sorted; ServiceBGPStatus `peers`. */
  readonly peers: readonly string[];
  /** Set exactly when `peers` is empty. */
  readonly reason: BgpRouteWithdrawReason | undefined;
}

/** Two non-zero LOCAL_PREF values met on one prefix toward one peer; the highest was sent. */
export interface BgpLocalPrefConflict {
  readonly peer: string;
  readonly prefix: string;
  /** Ascending, unique. */
  readonly localPrefs: readonly number[];
}

export interface BgpRoutes {
  readonly desired: BgpDesired;
  /** By Service key, in key order. */
  readonly services: ReadonlyMap<string, BgpServiceRoutes>;
  /** By peer, then prefix. */
  readonly localPrefConflicts: readonly BgpLocalPrefConflict[];
}

/**
 * How far a Service got toward a route, for its reason when it has none: the reason of the
 * furthest step reached, in this order.
 */
const PROGRESS_REASONS: readonly BgpRouteWithdrawReason[] = [
  "noMatchingAdvertisement",
  "noPeerForAdvertisement",
  "familyNotCarried",
  "invalidIP",
];
const ADVERTISEMENT_APPLIES = 1;
const SESSION_TARGETED = 2;
const FAMILY_CARRIED = 3;

const NO_PEERS: readonly string[] = Object.freeze([]);

/** Routes being gathered: peer -> prefix -> attributes; merges remembered per pair of inputs. */
class RouteTable {
  readonly byPeer = new Map<string, Map<string, RouteAttributes>>();
  readonly conflicts = new Map<string, Map<string, Set<number>>>();
  private readonly merges = new Map<RouteAttributes, Map<RouteAttributes, RouteAttributes>>();

  add(peer: string, prefix: string, attributes: RouteAttributes): void {
    let routes = this.byPeer.get(peer);
    if (routes === undefined) {
      routes = new Map();
      this.byPeer.set(peer, routes);
    }
    const existing = routes.get(prefix);
    if (existing === undefined) routes.set(prefix, attributes);
    else if (existing !== attributes) routes.set(prefix, this.merge(peer, prefix, existing, attributes));
  }

  private merge(peer: string, prefix: string, a: RouteAttributes, b: RouteAttributes): RouteAttributes {
    if (a.localPref !== undefined && b.localPref !== undefined && a.localPref !== b.localPref) {
      let prefixes = this.conflicts.get(peer);
      if (prefixes === undefined) {
        prefixes = new Map();
        this.conflicts.set(peer, prefixes);
      }
      const values = prefixes.get(prefix) ?? new Set<number>();
      values.add(a.localPref).add(b.localPref);
      prefixes.set(prefix, values);
    }
    let withA = this.merges.get(a);
    if (withA === undefined) {
      withA = new Map();
      this.merges.set(a, withA);
    }
    let merged = withA.get(b);
    if (merged === undefined) {
      merged = mergedAttributes(a, b);
      // Once per distinct pair: thousands of Services on one aggregate merge the same two sets.
      withA.set(b, merged);
    }
    return merged;
  }
}

/**
 * Peers of one Service: shared sorted arrays, one per distinct list in a call. Consecutive
 * Services mostly reach the same peers, so the last list is checked before sorting anything.
 */
class PeerLists {
  private readonly lists = new Map<string, readonly string[]>();
  private last: readonly string[] = NO_PEERS;

  /** `peers`: without duplicates, in any order; not kept. */
  of(peers: readonly string[]): readonly string[] {
    if (peers.length === 0) return NO_PEERS;
    if (sameMembers(peers, this.last)) return this.last;
    const sorted = [...peers].sort(byCodeUnits);
    const print = sorted.join("\n");
    let found = this.lists.get(print);
    if (found === undefined) {
      found = Object.freeze(sorted);
      this.lists.set(print, found);
    }
    this.last = found;
    return found;
  }
}

/** Whether two short lists without duplicates hold the same names. */
function sameMembers(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (const name of a) if (!b.includes(name)) return false;
  return true;
}

function applies(ad: AdvertisementPlan, labels: Labels, unselective: boolean): boolean {
  return unselective || ad.serviceSelectors.length === 0 || anySelectorMatches(ad.serviceSelectors, labels);
}

function inPeerOrder(sessions: readonly BgpSessionSpec[]): readonly BgpSessionSpec[] {
  for (let i = 1; i < sessions.length; i++) {
    if (byCodeUnits((sessions[i - 1] as BgpSessionSpec).peer, (sessions[i] as BgpSessionSpec).peer) > 0)
      return [...sessions].sort((a, b) => byCodeUnits(a.peer, b.peer));
  }
  return sessions;
}

function routeOf(prefix: string, attributes: RouteAttributes): BgpRoute {
  return {
    prefix,
    family: prefix.includes(":") ? "ipv6" : "ipv4",
    localPref: attributes.localPref,
    communities: attributes.communities,
    largeCommunities: attributes.largeCommunities,
  };
}

export function bgpRoutesFor(input: BgpRoutesInput): BgpRoutes {
  const sessions = inPeerOrder(input.sessions);
  const print = sessionsPrint(sessions);
  const table = new RouteTable();
  const peerLists = new PeerLists();
  const services = [...input.services].sort((a, b) => byCodeUnits(a.key, b.key));
  const outcomes = new Map<string, BgpServiceRoutes>();
  const peers: string[] = [];
  for (const service of services) {
    const plan = poolPlanFor(service.pool, input.node, sessions, print);
    let progress = 0;
    peers.length = 0;
    for (const ad of plan.advertisements) {
      if (!applies(ad, service.labels, plan.unselective)) continue;
      progress = Math.max(progress, ADVERTISEMENT_APPLIES);
      if (!ad.targetsASession) continue;
      progress = Math.max(progress, SESSION_TARGETED);
      for (const ip of service.ips) {
        const v6 = ip.includes(":");
        const targets = v6 ? ad.ipv6Peers : ad.ipv4Peers;
        if (targets.length === 0) continue;
        progress = FAMILY_CARRIED;
        const originated = originatedPrefix(ip, ad.aggregationLength, ad.aggregationLengthV6);
        if (originated === undefined) continue;
        for (const peer of targets) {
          table.add(peer, originated.prefix, ad.attributes);
          if (!peers.includes(peer)) peers.push(peer);
        }
      }
    }
    const list = peerLists.of(peers);
    outcomes.set(service.key, {
      peers: list,
      reason: list.length > 0 ? undefined : PROGRESS_REASONS[progress],
    });
  }
  return {
    desired: { sessions, routes: routesOf(table, input.previous) },
    services: outcomes,
    localPrefConflicts: conflictsOf(table),
  };
}

/** Whether `route` carries exactly these attributes (the plan's arrays, compared as objects). */
function carries(route: BgpRoute, attributes: RouteAttributes): boolean {
  return (
    route.localPref === attributes.localPref &&
    route.communities === attributes.communities &&
    route.largeCommunities === attributes.largeCommunities
  );
}

/**
 * Whether `route` carries attributes equal to these. Merged attribute sets are made anew in each
 * call, so last call's routes are compared by value.
 */
function carriesEqual(route: BgpRoute, attributes: RouteAttributes): boolean {
  if (carries(route, attributes)) return true;
  const a = route.communities;
  const b = attributes.communities;
  const x = route.largeCommunities;
  const y = attributes.largeCommunities;
  return (
    route.localPref === attributes.localPref &&
    a.length === b.length &&
    a.every((c, i) => c === b[i]) &&
    x.length === y.length &&
    x.every((c, i) => c.global === y[i]?.global && c.local1 === y[i]?.local1 && c.local2 === y[i]?.local2)
  );
}

/** A peer's last list read in prefix order alongside the new one, for routes to reuse. */
class PreviousList {
  private next = 0;
  constructor(readonly list: readonly BgpRoute[]) {}

  /** Last run's route for `prefix` (prefixes asked in ascending order), if it had one. */
  find(prefix: string): BgpRoute | undefined {
    const list = this.list;
    while (this.next < list.length && byCodeUnits((list[this.next] as BgpRoute).prefix, prefix) < 0)
      this.next++;
    const route = list[this.next];
    return route !== undefined && route.prefix === prefix ? route : undefined;
  }
}

function sameList(a: readonly BgpRoute[], b: readonly BgpRoute[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const NO_ROUTES: readonly BgpRoute[] = Object.freeze([]);

function routesOf(
  table: RouteTable,
  previous: ReadonlyMap<string, readonly BgpRoute[]> | undefined,
): ReadonlyMap<string, readonly BgpRoute[]> {
  // Peers mostly share their prefixes: one sort of them all, then each peer picks its own.
  const all = new Set<string>();
  for (const byPrefix of table.byPeer.values()) for (const prefix of byPrefix.keys()) all.add(prefix);
  const prefixes = [...all].sort(byCodeUnits);
  const peers = [...table.byPeer.keys()].sort(byCodeUnits);
  const tables = peers.map((peer) => table.byPeer.get(peer) as Map<string, RouteAttributes>);
  const lists = peers.map((): BgpRoute[] => []);
  const before = peers.map((peer) => new PreviousList(previous?.get(peer) ?? NO_ROUTES));
  // Peers receiving the same attributes for a prefix share one route object.
  const made: BgpRoute[] = [];
  for (const prefix of prefixes) {
    made.length = 0;
    for (let i = 0; i < peers.length; i++) {
      const attributes = tables[i]?.get(prefix);
      if (attributes === undefined) continue;
      let route = made.find((r) => carriesEqual(r, attributes));
      if (route === undefined) {
        const last = before[i]?.find(prefix);
        route = last !== undefined && carriesEqual(last, attributes) ? last : routeOf(prefix, attributes);
        made.push(route);
      }
      lists[i]?.push(route);
    }
  }
  let unchanged = previous !== undefined && previous.size === peers.length;
  const routes = new Map<string, readonly BgpRoute[]>();
  peers.forEach((peer, i) => {
    const fresh = lists[i] as BgpRoute[];
    const last = before[i]?.list as readonly BgpRoute[];
    const same = previous?.has(peer) === true && sameList(last, fresh);
    unchanged &&= same;
    routes.set(peer, same ? last : fresh);
  });
  return unchanged && previous !== undefined ? previous : routes;
}

function conflictsOf(table: RouteTable): BgpLocalPrefConflict[] {
  const conflicts: BgpLocalPrefConflict[] = [];
  for (const peer of [...table.conflicts.keys()].sort(byCodeUnits)) {
    const byPrefix = table.conflicts.get(peer) as Map<string, Set<number>>;
    for (const prefix of [...byPrefix.keys()].sort(byCodeUnits)) {
      const values = [...(byPrefix.get(prefix) as Set<number>)].sort((a, b) => a - b);
      conflicts.push({ peer, prefix, localPrefs: values });
    }
  }
  return conflicts;
}
