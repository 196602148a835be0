/**
 * What one pool's BGPAdvertisements mean on this node, worked out once per (pool, node, sessions)
 * rather than once per Service: which advertisements select this node, which of this node's
 * sessions each one targets per address family, and the path attributes it gives its routes.
 * With 10k Services in a handful of pools, a reconcile computes a handful of plans.
 */
import type { BGPCommunity } from "../config/community-value.ts";
import type { BGPAdvertisementConfig, Pool } from "../config/types.ts";
import type { CompiledSelector } from "../selector/label-selector.ts";
import type { BgpRoute, BgpSessionSpec } from "./types.ts";

/** The attributes a route carries; one shared object per advertisement (and per merge of them). */
export interface RouteAttributes {
  readonly localPref: number | undefined;
  readonly communities: BgpRoute["communities"];
  readonly largeCommunities: BgpRoute["largeCommunities"];
}

export interface AdvertisementPlan {
  readonly name: string;
  readonly aggregationLength: number;
  readonly aggregationLengthV6: number;
  /** ORed; empty: every Service of the pool. */
  readonly serviceSelectors: readonly CompiledSelector[];
  /** Peer names of this node's sessions that the advertisement targets and that carry IPv4. */
  readonly ipv4Peers: readonly string[];
  readonly ipv6Peers: readonly string[];
  /** Whether it targets any session of this node at all, whatever the family. */
  readonly targetsASession: boolean;
  readonly attributes: RouteAttributes;
}

export interface PoolPlan {
  /** The pool's advertisements that select this node (`nodes`), in the pool's (name) order. */
  readonly advertisements: readonly AdvertisementPlan[];
  /** No advertisement has serviceSelectors: every Service of the pool gets all of them. */
  readonly unselective: boolean;
}

/** Which families a session carries: its peer address's, and the other with dualStackAddressFamily. */
export function sessionFamilies(session: BgpSessionSpec): { ipv4: boolean; ipv6: boolean } {
  const v6 = session.peerAddress.includes(":");
  return { ipv4: !v6 || session.dualStackAddressFamily, ipv6: v6 || session.dualStackAddressFamily };
}

/** One text per distinct (peer, families) list: plans are reused while it stays the same. */
export function sessionsPrint(sessions: readonly BgpSessionSpec[]): string {
  let print = "";
  for (const session of sessions) {
    const families = sessionFamilies(session);
    print += `${session.peer}/${families.ipv4 ? 4 : ""}${families.ipv6 ? 6 : ""}\n`;
  }
  return print;
}

function standardValue(c: BGPCommunity & { kind: "standard" }): number {
  return c.high * 65536 + c.low;
}

export function attributesOf(ad: BGPAdvertisementConfig): RouteAttributes {
  const communities: number[] = [];
  const largeCommunities: { global: number; local1: number; local2: number }[] = [];
  for (const c of ad.communities) {
    if (c.kind === "standard") communities.push(standardValue(c));
    else largeCommunities.push({ global: c.global, local1: c.local1, local2: c.local2 });
  }
  communities.sort((a, b) => a - b);
  largeCommunities.sort(compareLarge);
  return {
    localPref: ad.localPref === 0 ? undefined : ad.localPref,
    communities: uniqueSorted(communities),
    largeCommunities: uniqueLarge(largeCommunities),
  };
}

type Large = BgpRoute["largeCommunities"][number];

export function compareLarge(a: Large, b: Large): number {
  return a.global - b.global || a.local1 - b.local1 || a.local2 - b.local2;
}

function uniqueSorted(values: number[]): number[] {
  return values.filter((v, i) => i === 0 || values[i - 1] !== v);
}

function uniqueLarge(values: Large[]): Large[] {
  return values.filter((v, i) => i === 0 || compareLarge(values[i - 1] as Large, v) !== 0);
}

/**
 * The union of two attribute sets toward one prefix and peer (MetalLB native `mergeCommunities`;
 * the FRR modes announce the prefix once with every community). LOCAL_PREF: the parser already
 * rejected incompatible values among advertisements without serviceSelectors; where two non-zero
 * values still meet (serviceSelectors, or two pools in one aggregate), the higher one wins, so
 * the result does not depend on which Service came first.
 */
export function mergedAttributes(a: RouteAttributes, b: RouteAttributes): RouteAttributes {
  const localPref =
    a.localPref === undefined
      ? b.localPref
      : b.localPref === undefined
        ? a.localPref
        : Math.max(a.localPref, b.localPref);
  const communities = uniqueSorted([...a.communities, ...b.communities].sort((x, y) => x - y));
  const largeCommunities = uniqueLarge([...a.largeCommunities, ...b.largeCommunities].sort(compareLarge));
  return { localPref, communities, largeCommunities };
}

function planOf(pool: Pool, node: string, sessions: readonly BgpSessionSpec[]): PoolPlan {
  const advertisements: AdvertisementPlan[] = [];
  for (const ad of pool.bgpAdvertisements) {
    if (!ad.nodes.has(node)) continue;
    const wanted = ad.peers.length === 0 ? undefined : new Set(ad.peers);
    const ipv4Peers: string[] = [];
    const ipv6Peers: string[] = [];
    let targetsASession = false;
    for (const session of sessions) {
      if (wanted !== undefined && !wanted.has(session.peer)) continue;
      targetsASession = true;
      const families = sessionFamilies(session);
      if (families.ipv4) ipv4Peers.push(session.peer);
      if (families.ipv6) ipv6Peers.push(session.peer);
    }
    advertisements.push({
      name: ad.name,
      aggregationLength: ad.aggregationLength,
      aggregationLengthV6: ad.aggregationLengthV6,
      serviceSelectors: ad.serviceSelectors,
      ipv4Peers,
      ipv6Peers,
      targetsASession,
      attributes: attributesOf(ad),
    });
  }
  return { advertisements, unselective: advertisements.every((ad) => ad.serviceSelectors.length === 0) };
}

interface CachedPlan {
  readonly node: string;
  readonly sessions: string;
  readonly plan: PoolPlan;
}

/**
 * Pools are immutable and replaced when the configuration changes, so a plan lives as long as
 * its pool and is remade only when this node's name or sessions change. A memo of a pure
 * function: invisible to callers.
 */
const plans = new WeakMap<Pool, CachedPlan>();

export function poolPlanFor(
  pool: Pool,
  node: string,
  sessions: readonly BgpSessionSpec[],
  print: string,
): PoolPlan {
  const cached = plans.get(pool);
  if (cached !== undefined && cached.node === node && cached.sessions === print) return cached.plan;
  const plan = planOf(pool, node, sessions);
  plans.set(pool, { node, sessions: print, plan });
  return plan;
}
