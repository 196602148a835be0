/**
 * One session's Adj-RIB-Out (RFC 4271 §3.2): the routes we want the peer to hold and the routes it
 * last received from us, so that each change sends only the difference (new or changed routes
 * announced, grouped by shared attributes; removed ones withdrawn). Pure bookkeeping; the session
 * encodes and sends what `takeChanges` and `fullTable` return, which count as sent from then on.
 */
import type { BgpRoute } from "../../domain/bgp/types.ts";
import type { Family, Prefix } from "./codec/types.ts";

/** Prefixes that share their path attributes (one or more UPDATEs). */
export interface AnnounceGroup {
  readonly family: Family;
  /** Carries the group's localPref, communities and large communities. */
  readonly route: BgpRoute;
  readonly prefixes: readonly Prefix[];
}

export interface Withdrawal {
  readonly family: Family;
  readonly prefixes: readonly Prefix[];
}

export interface RibChanges {
  readonly announce: readonly AnnounceGroup[];
  readonly withdraw: readonly Withdrawal[];
}

export const NO_CHANGES: RibChanges = { announce: [], withdraw: [] };

export function familyOfRoute(route: BgpRoute): Family {
  return route.family === "ipv4" ? "ipv4-unicast" : "ipv6-unicast";
}

/** `address/length` to the codec's Prefix; undefined when it is not one. */
export function prefixOf(route: BgpRoute): Prefix | undefined {
  const slash = route.prefix.lastIndexOf("/");
  if (slash < 0) return undefined;
  const length = Number(route.prefix.slice(slash + 1));
  const max = route.family === "ipv4" ? 32 : 128;
  if (!Number.isInteger(length) || length < 0 || length > max) return undefined;
  return { family: route.family, address: route.prefix.slice(0, slash), length };
}

/** The attributes a route contributes, as one comparable key. */
export function attributesKey(route: BgpRoute): string {
  const large = route.largeCommunities.map((c) => `${c.global}:${c.local1}:${c.local2}`).join(",");
  return `${route.localPref ?? "-"}|${route.communities.join(",")}|${large}`;
}

function isSame(a: BgpRoute, b: BgpRoute): boolean {
  return a.family === b.family && attributesKey(a) === attributesKey(b);
}

function group(routes: readonly BgpRoute[]): AnnounceGroup[] {
  const groups = new Map<string, { family: Family; route: BgpRoute; prefixes: Prefix[] }>();
  for (const route of routes) {
    const prefix = prefixOf(route);
    if (!prefix) continue;
    const family = familyOfRoute(route);
    const key = `${family}|${attributesKey(route)}`;
    const existing = groups.get(key);
    if (existing) existing.prefixes.push(prefix);
    else groups.set(key, { family, route, prefixes: [prefix] });
  }
  return [...groups.values()];
}

export class AdjRibOut {
  /** Prefix text -> the route we want the peer to hold. */
  private desired = new Map<string, BgpRoute>();
  /** Prefix text -> the route the peer last received from us. */
  private sent = new Map<string, BgpRoute>();

  /** The whole desired set (idempotent). A route whose prefix does not parse is ignored. */
  setDesired(routes: readonly BgpRoute[]): void {
    const next = new Map<string, BgpRoute>();
    for (const route of routes) if (prefixOf(route)) next.set(route.prefix, route);
    this.desired = next;
  }

  /**
   * The desired set changed by this much (the session Worker's deltas, route-delta.ts): the same as
   * setDesired with the whole new set, without building it.
   */
  update(upsert: readonly BgpRoute[], remove: readonly string[]): void {
    for (const prefix of remove) this.desired.delete(prefix);
    for (const route of upsert) {
      if (prefixOf(route)) this.desired.set(route.prefix, route);
      else this.desired.delete(route.prefix);
    }
  }

  /** The session went down: the peer holds nothing of ours any more. */
  reset(): void {
    this.sent.clear();
  }

  /** What changed since the peer last received, for these families; it counts as sent from now. */
  takeChanges(families: readonly Family[]): RibChanges {
    const announce: BgpRoute[] = [];
    const withdrawn = new Map<Family, Prefix[]>();
    for (const [key, route] of this.desired) {
      if (!families.includes(familyOfRoute(route))) continue;
      const previous = this.sent.get(key);
      if (previous && isSame(previous, route)) continue;
      announce.push(route);
      this.sent.set(key, route);
    }
    for (const [key, route] of this.sent) {
      if (this.desired.has(key)) continue;
      this.sent.delete(key);
      const family = familyOfRoute(route);
      const prefix = prefixOf(route);
      if (!prefix) continue;
      const list = withdrawn.get(family);
      if (list) list.push(prefix);
      else withdrawn.set(family, [prefix]);
    }
    return {
      announce: group(announce),
      withdraw: [...withdrawn].map(([family, prefixes]) => ({ family, prefixes })),
    };
  }

  /** Everything we want the peer to hold for one family (a ROUTE-REFRESH answer). */
  fullTable(family: Family): RibChanges {
    const routes = [...this.desired.values()].filter((route) => familyOfRoute(route) === family);
    for (const route of routes) this.sent.set(route.prefix, route);
    return { announce: group(routes), withdraw: [] };
  }

  /** Prefixes the peer holds from us (MetalLB's announced prefixes). */
  announcedCount(): number {
    return this.sent.size;
  }

  /** Desired prefixes of these families the peer does not hold as wanted yet. */
  pendingCount(families: readonly Family[]): number {
    let pending = 0;
    for (const [key, route] of this.desired) {
      if (!families.includes(familyOfRoute(route))) continue;
      const previous = this.sent.get(key);
      if (!previous || !isSame(previous, route)) pending += 1;
    }
    for (const key of this.sent.keys()) if (!this.desired.has(key)) pending += 1;
    return pending;
  }
}
