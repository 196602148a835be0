/**
 * Per Service, for this node: announce over BGP or not, and why (MetalLB's bgpController
 * ShouldAnnounce). Unlike Layer 2 there is no election: every eligible node announces, and the
 * router spreads traffic over them (ECMP). Membership plays no part. After the common checks
 * (common.ts): some BGPAdvertisement covering the Service selects this node, then this node's own
 * facts (NetworkUnavailable, the exclude label, a local endpoint under externalTrafficPolicy Local).
 * Which routes go to which peer is decided from the announcing decisions (domain/bgp/routes.ts).
 */
import type { BGPAdvertisementConfig, Pool } from "../config/types.ts";
import { anySelectorMatches, type Labels } from "../selector/label-selector.ts";
import { commonVerdictFor, nodeWithdrawReason } from "./common.ts";
import type { BgpWithdrawReason } from "./reasons.ts";
import type { AnnounceRequest } from "./request.ts";
import type { AnnounceView } from "./view.ts";

interface BgpDecisionBase {
  readonly protocol: "bgp";
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  /** The Service's IPs, canonical text, in status order. */
  readonly ips: readonly string[];
  /** The pool holding the IPs, when one does. */
  readonly pool: string | undefined;
}

export interface BgpAnnounce extends BgpDecisionBase {
  readonly announce: true;
  readonly pool: string;
  /** The Service's labels (serviceSelectors of the advertisements pick routes by them). */
  readonly labels: Labels;
}

export interface BgpWithdraw extends BgpDecisionBase {
  readonly announce: false;
  readonly reason: BgpWithdrawReason;
}

export type BgpDecision = BgpAnnounce | BgpWithdraw;

/** The BGPAdvertisements of the pool whose serviceSelectors (if any) match the Service. */
export function bgpAdvertisementsFor(pool: Pool, serviceLabels: Labels): readonly BGPAdvertisementConfig[] {
  if (pool.bgpAdvertisements.every((ad) => ad.serviceSelectors.length === 0)) return pool.bgpAdvertisements;
  return pool.bgpAdvertisements.filter(
    (ad) => ad.serviceSelectors.length === 0 || anySelectorMatches(ad.serviceSelectors, serviceLabels),
  );
}

export function bgpDecisionFor(request: AnnounceRequest, view: AnnounceView): BgpDecision {
  const base: BgpDecisionBase = {
    protocol: "bgp",
    key: request.key,
    namespace: request.namespace,
    name: request.name,
    uid: request.uid,
    ips: request.ips,
    pool: undefined,
  };
  const common = commonVerdictFor(request, view);
  if (!common.eligible) {
    return { ...base, pool: common.pool?.name, announce: false, reason: common.reason };
  }
  const { pool, endpoints } = common;
  const ads = bgpAdvertisementsFor(pool, request.labels);
  if (!ads.some((ad) => ad.nodes.has(view.self))) {
    return { ...base, pool: pool.name, announce: false, reason: "noMatchingAdvertisement" };
  }
  const exclusion = nodeWithdrawReason(view.self, request, endpoints, view);
  if (exclusion !== undefined) return { ...base, pool: pool.name, announce: false, reason: exclusion };
  return { ...base, pool: pool.name, announce: true, labels: request.labels };
}
