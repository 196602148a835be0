/**
 * Per Service, for this node: announce in Layer 2 or not, and why (MetalLB §4.1-§4.3). The
 * checks common to every protocol come first (common.ts: LoadBalancer, class, an IP, a pool that
 * holds it, a serving endpoint somewhere), then Layer 2's ShouldAnnounce: the advertisements
 * covering the Service, the sharing rule, then the election. The election runs whenever the Service is announceable at
 * all, even when this node cannot win it, so the caller learns the owner of every IP (what
 * non-revertive mode remembers).
 */

import type { L2AdvertisementConfig } from "../config/types.ts";
import { l2AdvertisementsFor } from "../election/advertisements.ts";
import { internedNames, type L2Candidates, type L2Exclusion, l2Candidates } from "../election/candidates.ts";
import { l2OwnerFor } from "../election/owner.ts";
import { membersElecting } from "../election/segments.ts";
import { commonVerdictFor } from "./common.ts";
import type { L2WithdrawReason } from "./reasons.ts";
import type { AnnounceRequest } from "./request.ts";
import type { AnnounceView } from "./view.ts";

interface L2DecisionBase {
  readonly protocol: "layer2";
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  /** The Service's IPs, canonical text, in status order (empty when none parse). */
  readonly ips: readonly string[];
  /** The pool holding the IPs, when one does. */
  readonly pool: string | undefined;
  /** The elected node, whoever it is; undefined when no election ran or nobody qualifies. */
  readonly owner: string | undefined;
  /** Candidates, best first (empty when no election ran). */
  readonly candidates: readonly string[];
}

export interface L2Announce extends L2DecisionBase {
  readonly announce: true;
  readonly pool: string;
  readonly owner: string;
  /**
   * Interfaces to answer on: the union of the `interfaces` of the advertisements covering the
   * Service that select this node; [] means every eligible interface (one of them lists none).
   */
  readonly interfaces: readonly string[];
}

export interface L2Withdraw extends L2DecisionBase {
  readonly announce: false;
  readonly reason: L2WithdrawReason;
}

export type L2Decision = L2Announce | L2Withdraw;

/** This node's exclusion, as the reason it gives for not announcing. */
const EXCLUSION_REASON: Readonly<Record<L2Exclusion, L2WithdrawReason>> = {
  noEndpoints: "noEndpoints",
  notMember: "notOwner",
  notSelectedByAdvertisement: "noMatchingAdvertisement",
  nodeNetworkUnavailable: "nodeNetworkUnavailable",
  nodeLabeledExcludeBalancers: "nodeLabeledExcludeBalancers",
  noLocalEndpoints: "noLocalEndpoints",
};

/** Union of the advertisements' interfaces on this node; [] (all) as soon as one lists none. */
const ALL_INTERFACES: readonly string[] = Object.freeze([]);

export function l2Interfaces(ads: readonly L2AdvertisementConfig[], node: string): readonly string[] {
  const mine = ads.filter((ad) => ad.nodes.has(node));
  if (mine.some((ad) => ad.allInterfaces)) return ALL_INTERFACES;
  return [...new Set(mine.flatMap((ad) => ad.interfaces))].sort();
}

function withdrawal(
  base: L2DecisionBase,
  reason: L2WithdrawReason,
  more?: Partial<L2DecisionBase>,
): L2Withdraw {
  return more === undefined
    ? { ...base, announce: false, reason }
    : { ...base, ...more, announce: false, reason };
}

/**
 * The decision for one Service. `currentOwner` (non-revertive mode only) names the node
 * announcing the Service's first IP now; it keeps the IP while it stays a candidate.
 */
export function l2DecisionFor(
  request: AnnounceRequest,
  view: AnnounceView,
  currentOwner?: string | readonly string[],
): L2Decision {
  const ips = request.ips;
  const base = {
    protocol: "layer2" as const,
    key: request.key,
    namespace: request.namespace,
    name: request.name,
    uid: request.uid,
    ips,
    pool: undefined as string | undefined,
    owner: undefined as string | undefined,
    candidates: [] as readonly string[],
  };

  const common = commonVerdictFor(request, view);
  if (!common.eligible)
    return withdrawal(
      base,
      common.reason,
      common.pool === undefined ? undefined : { pool: common.pool.name },
    );
  const { pool, endpoints } = common;
  const ads = l2AdvertisementsFor(pool, request.labels);
  // Services sharing an IP must elect one node; with serviceSelectors they could see different
  // advertisements (hence node sets and preferences) and elect two. MetalLB main refuses them.
  if (request.sharingKey !== "" && ads.some((ad) => ad.serviceSelectors.length > 0))
    return withdrawal(base, "sharedIPWithServiceSelector", { pool: pool.name });

  const candidates: L2Candidates = l2Candidates({
    firstIP: ips[0]!,
    advertisements: ads,
    members: membersElecting(ips[0]!, view.members, view.segments),
    nodes: view.nodes,
    endpoints,
    externalTrafficPolicyLocal: request.externalTrafficPolicyLocal,
    ignoreExcludeLB: view.ignoreExcludeLB,
  });
  const owner = l2OwnerFor(candidates, currentOwner);
  const elected = { pool: pool.name, owner, candidates: internedNames(candidates.ranked.map((c) => c.node)) };
  // MetalLB checks that an advertisement selects this node before it looks at the election.
  if (!ads.some((ad) => ad.nodes.has(view.self))) return withdrawal(base, "noMatchingAdvertisement", elected);
  const exclusion = candidates.excluded.get(view.self);
  if (exclusion !== undefined) return withdrawal(base, EXCLUSION_REASON[exclusion], elected);
  if (owner !== view.self) return withdrawal(base, "notOwner", elected);
  return {
    ...base,
    ...elected,
    owner,
    announce: true,
    interfaces: l2Interfaces(ads, view.self),
  };
}
