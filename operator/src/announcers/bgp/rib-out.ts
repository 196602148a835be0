/**
 * One session's Adj-RIB-Out (RFC 4271 §3.2): the routes we want the peer to hold and the routes it
 * last received from us, so that each change sends only the difference (new or changed routes
 * announced, grouped by shared attributes; removed ones withdrawn). Pure bookkeeping; the session
 * encodes and sends what `takeChanges` and `fullTable` return, which count as sent from then on.
 */
import type { RouteAttributes } from "../../domain/bgp/advertisement-plan.ts";
import type { BgpRoute } from "../../domain/bgp/types.ts";
import type { Family, Prefix } from "./codec/types.ts";

/**
 * What routes share besides their prefix: their family and the attributes we originate them with.
 * One object per distinct set within a RIB, so that 10k routes with the same attributes hold one of
 * these and a prefix each (the route objects that crossed from the main thread are dropped).
 */
export interface AttributeSet extends RouteAttributes {
  readonly family: Family;
}

/** Prefixes that share their path attributes (one or more UPDATEs). */
export interface AnnounceGroup {
  readonly family: Family;
  readonly attributes: AttributeSet;
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

/** `address/length` of this family to the codec's Prefix; undefined when it is not one. */
function parsePrefix(text: string, family: BgpRoute["family"]): Prefix | undefined {
  const slash = text.lastIndexOf("/");
  if (slash < 0) return undefined;
  const length = Number(text.slice(slash + 1));
  const max = family === "ipv4" ? 32 : 128;
  if (!Number.isInteger(length) || length < 0 || length > max) return undefined;
  return { family, address: text.slice(0, slash), length };
}

/** A route's prefix as the codec's Prefix; undefined when it is not one. */
export function prefixOf(route: BgpRoute): Prefix | undefined {
  return parsePrefix(route.prefix, route.family);
}

/** The attributes a route contributes, as one comparable key. */
export function attributesKey(route: BgpRoute): string {
  const large = route.largeCommunities.map((c) => `${c.global}:${c.local1}:${c.local2}`).join(",");
  return `${route.localPref ?? "-"}|${route.communities.join(",")}|${large}`;
}

const FAMILY_NAME: Record<Family, BgpRoute["family"]> = { "ipv4-unicast": "ipv4", "ipv6-unicast": "ipv6" };

/** Prefix text -> its attributes, grouped into one AnnounceGroup per attribute set. */
function group(entries: Iterable<readonly [string, AttributeSet]>): AnnounceGroup[] {
  const groups = new Map<AttributeSet, Prefix[]>();
  for (const [text, attributes] of entries) {
    const prefix = parsePrefix(text, FAMILY_NAME[attributes.family]);
    if (!prefix) continue;
    const prefixes = groups.get(attributes);
    if (prefixes) prefixes.push(prefix);
    else groups.set(attributes, [prefix]);
  }
  return [...groups].map(([attributes, prefixes]) => ({ family: attributes.family, attributes, prefixes }));
}

/** Attribute sets kept before the unused ones are dropped (a RIB uses a handful). */
const SHARED_ATTRIBUTES_PRUNE_AT = 64;

/**
 * One prefix as this RIB holds it: the attributes we want the peer to hold it with and those it
 * last received it with (either may be absent, not both). Interned per pair: 10k prefixes in one
 * Map whose values are a few shared objects, rather than a Map of wanted and a Map of sent routes.
 */
interface PrefixState {
  readonly desired: AttributeSet | undefined;
  readonly sent: AttributeSet | undefined;
}

/**
 * The RIB itself. Its loops change or delete the entry they are at, which a Map's iteration allows
 * (no new keys are added while iterating), so no copy of 10k entries is made per change.
 */
export class AdjRibOut {
  /** Prefix text -> what we want and what the peer holds. */
  private readonly prefixes = new Map<string, PrefixState>();
  /** Prefixes the peer holds from us. */
  private sentCount = 0;
  /** `family|attributesKey` -> the one AttributeSet of those in this RIB. */
  private shared = new Map<string, AttributeSet>();
  /** desired -> sent -> their PrefixState (undefined stands for itself as a key). */
  private states = new Map<AttributeSet | undefined, Map<AttributeSet | undefined, PrefixState>>();
  /** The pool's size at which unused sets are dropped; doubles with the sets in use. */
  private pruneAt = SHARED_ATTRIBUTES_PRUNE_AT;

  /** The whole desired set (idempotent). A route whose prefix does not parse is ignored. */
  setDesired(routes: readonly BgpRoute[]): void {
    const wanted = new Set<string>();
    for (const route of routes) if (prefixOf(route)) wanted.add(route.prefix);
    for (const text of this.prefixes.keys()) if (!wanted.has(text)) this.want(text, undefined);
    for (const route of routes) if (prefixOf(route)) this.want(route.prefix, this.attributesOf(route));
  }

  /**
   * The desired set changed by this much (the session Worker's deltas, route-delta.ts): the same as
   * setDesired with the whole new set, without building it.
   */
  update(upsert: readonly BgpRoute[], remove: readonly string[]): void {
    for (const prefix of remove) this.want(prefix, undefined);
    for (const route of upsert)
      this.want(route.prefix, prefixOf(route) ? this.attributesOf(route) : undefined);
  }

  /** The session went down: the peer holds nothing of ours any more. */
  reset(): void {
    for (const [text, state] of this.prefixes) this.put(text, state.desired, undefined);
  }

  /** What changed since the peer last received, for these families; it counts as sent from now. */
  takeChanges(families: readonly Family[]): RibChanges {
    const announce: [string, AttributeSet][] = [];
    const withdrawn = new Map<Family, Prefix[]>();
    for (const [text, { desired, sent }] of this.prefixes) {
      if (desired === sent) continue;
      if (desired !== undefined) {
        if (!families.includes(desired.family)) continue;
        announce.push([text, desired]);
        this.put(text, desired, desired);
        continue;
      }
      this.put(text, undefined, undefined);
      const family = (sent as AttributeSet).family;
      const prefix = parsePrefix(text, FAMILY_NAME[family]);
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
    const entries: [string, AttributeSet][] = [];
    for (const [text, { desired }] of this.prefixes) {
      if (desired?.family !== family) continue;
      entries.push([text, desired]);
      this.put(text, desired, desired);
    }
    return { announce: group(entries), withdraw: [] };
  }

  /** Prefixes the peer holds from us (MetalLB's announced prefixes). */
  announcedCount(): number {
    return this.sentCount;
  }

  /** Desired prefixes of these families the peer does not hold as wanted yet. */
  pendingCount(families: readonly Family[]): number {
    let pending = 0;
    for (const { desired, sent } of this.prefixes.values()) {
      if (desired === sent) continue;
      if (desired === undefined || families.includes(desired.family)) pending += 1;
    }
    return pending;
  }

  /** Distinct attribute sets this RIB keeps (bounded: unused ones are dropped). */
  attributeSetCount(): number {
    return this.shared.size;
  }

  private want(text: string, desired: AttributeSet | undefined): void {
    this.put(text, desired, this.prefixes.get(text)?.sent);
  }

  private put(text: string, desired: AttributeSet | undefined, sent: AttributeSet | undefined): void {
    const before = this.prefixes.get(text);
    if (before !== undefined && before.desired === desired && before.sent === sent) return;
    this.sentCount += (sent !== undefined ? 1 : 0) - (before?.sent !== undefined ? 1 : 0);
    if (desired === undefined && sent === undefined) this.prefixes.delete(text);
    else this.prefixes.set(text, this.stateOf(desired, sent));
  }

  private stateOf(desired: AttributeSet | undefined, sent: AttributeSet | undefined): PrefixState {
    let bySent = this.states.get(desired);
    if (bySent === undefined) {
      bySent = new Map();
      this.states.set(desired, bySent);
    }
    let state = bySent.get(sent);
    if (state === undefined) {
      state = { desired, sent };
      bySent.set(sent, state);
    }
    return state;
  }

  /** The shared AttributeSet for a route's family and attributes. */
  private attributesOf(route: BgpRoute): AttributeSet {
    const family = familyOfRoute(route);
    const key = `${family}|${attributesKey(route)}`;
    const known = this.shared.get(key);
    if (known) return known;
    if (this.shared.size >= this.pruneAt) this.prune();
    const attributes: AttributeSet = {
      family,
      localPref: route.localPref,
      communities: route.communities,
      largeCommunities: route.largeCommunities,
    };
    this.shared.set(key, attributes);
    return attributes;
  }

  /** Keeps only the attribute sets, and pairs of them, that a prefix still uses. */
  private prune(): void {
    const used = new Set<AttributeSet>();
    const states = new Set<PrefixState>(this.prefixes.values());
    for (const { desired, sent } of states) {
      if (desired) used.add(desired);
      if (sent) used.add(sent);
    }
    this.shared = new Map([...this.shared].filter(([, attributes]) => used.has(attributes)));
    this.states = new Map();
    for (const state of states) {
      const bySent = this.states.get(state.desired) ?? new Map<AttributeSet | undefined, PrefixState>();
      bySent.set(state.sent, state);
      this.states.set(state.desired, bySent);
    }
    this.pruneAt = Math.max(SHARED_ATTRIBUTES_PRUNE_AT, 2 * this.shared.size);
  }
}
