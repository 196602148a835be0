/**
 * MetalLB's Layer 2 election (§4.3), stateless and without leases: every speaker computes the same
 * ranked list of candidate nodes for an IP from the same inputs, and the first one announces it.
 *
 * Candidates = live speakers (memberlist member names = node names; every known node when
 * membership is disabled) ∩ nodes selected by the L2Advertisements that cover the Service, minus
 * NetworkUnavailable nodes, minus nodes labelled exclude-from-external-load-balancers (unless
 * --ignore-exclude-lb), and with externalTrafficPolicy Local only nodes hosting a serving
 * endpoint. Without any serving endpoint there is no candidate at all.
 *
 * Ranking: summed preferredNodeSelectors weights first (MetalLB main; higher first), then
 * sha256(node + "#" + firstIP) ascending, byte by byte. Hashing the first IP of the Service (not
 * the Service) spreads IPs over nodes, keeps shared IPs and both families of a dual-stack
 * Service on one node, and means removing a non-owner never moves an IP.
 */
import type { L2AdvertisementConfig } from "../config/types.ts";
import { selectorMatches } from "../selector/label-selector.ts";
import type { NodeFacts } from "./node-facts.ts";
import type { ServingEndpoints } from "./serving-endpoints.ts";
import { sha256Hex } from "./sha256.ts";

export interface L2ElectionInput {
  /** The Service's first IP in canonical text (Go's net.IP.String()): the hash seed. */
  readonly firstIP: string;
  /** The advertisements that cover the Service (see l2AdvertisementsFor). */
  readonly advertisements: readonly L2AdvertisementConfig[];
  /** Live speakers by node name; undefined when membership is disabled (every known node counts). */
  readonly members: ReadonlySet<string> | undefined;
  readonly nodes: ReadonlyMap<string, NodeFacts>;
  /** The Service's serving endpoints. */
  readonly endpoints: ServingEndpoints;
  readonly externalTrafficPolicyLocal: boolean;
  readonly ignoreExcludeLB: boolean;
}

/** Why a node is not a candidate (the first rule it fails, in the order listed). */
export type L2Exclusion =
  /** No endpoint of the Service can serve anywhere: nobody announces. */
  | "noEndpoints"
  /** Its speaker is not a live member. */
  | "notMember"
  /** No advertisement covering the Service selects it. */
  | "notSelectedByAdvertisement"
  | "nodeNetworkUnavailable"
  | "nodeLabeledExcludeBalancers"
  /** externalTrafficPolicy Local and no serving endpoint on it. */
  | "noLocalEndpoints";

export interface RankedCandidate {
  readonly node: string;
  /** Summed preferredNodeSelectors weights. */
  readonly weight: number;
  /** Hex sha256(node + "#" + firstIP). */
  readonly hash: string;
}

export interface L2Candidates {
  /** Best first: the owner (in the default, revertive mode) is `ranked[0]`. */
  readonly ranked: readonly RankedCandidate[];
  /** Every other node considered (members and known nodes), with its reason, in name order. */
  readonly excluded: ReadonlyMap<string, L2Exclusion>;
}

/** The hash MetalLB orders candidates by, as lower-case hex. */
export function electionHash(node: string, firstIP: string): string {
  return sha256Hex(`${node}#${firstIP}`);
}

function exclusionOf(node: string, input: L2ElectionInput): L2Exclusion | undefined {
  if (input.members !== undefined && !input.members.has(node)) return "notMember";
  if (!input.advertisements.some((ad) => ad.nodes.has(node))) return "notSelectedByAdvertisement";
  const facts = input.nodes.get(node);
  if (facts?.networkUnavailable) return "nodeNetworkUnavailable";
  if (facts?.excludedFromLoadBalancers && !input.ignoreExcludeLB) return "nodeLabeledExcludeBalancers";
  if (input.externalTrafficPolicyLocal && !input.endpoints.nodes.has(node)) return "noLocalEndpoints";
  return undefined;
}

/**
 * Summed weights of the preferredNodeSelectors (of every advertisement covering the Service) whose
 * preference matches the node's labels. Only ranks nodes that are candidates anyway.
 */
function preferenceWeight(node: string, input: L2ElectionInput): number {
  const labels = input.nodes.get(node)?.labels;
  let weight = 0;
  for (const ad of input.advertisements) {
    for (const preferred of ad.preferredNodeSelectors) {
      if (selectorMatches(preferred.selector, labels)) weight += preferred.weight;
    }
  }
  return weight;
}

function compareRanked(a: RankedCandidate, b: RankedCandidate): number {
  if (a.weight !== b.weight) return b.weight - a.weight;
  if (a.hash !== b.hash) return a.hash < b.hash ? -1 : 1;
  return a.node < b.node ? -1 : a.node > b.node ? 1 : 0;
}

export function l2Candidates(input: L2ElectionInput): L2Candidates {
  const names = new Set<string>(input.nodes.keys());
  for (const member of input.members ?? []) names.add(member);
  const sorted = [...names].sort();
  const excluded = new Map<string, L2Exclusion>();
  const ranked: RankedCandidate[] = [];
  for (const node of sorted) {
    const exclusion = input.endpoints.any ? exclusionOf(node, input) : "noEndpoints";
    if (exclusion !== undefined) {
      excluded.set(node, exclusion);
      continue;
    }
    ranked.push({ node, weight: preferenceWeight(node, input), hash: electionHash(node, input.firstIP) });
  }
  ranked.sort(compareRanked);
  return { ranked, excluded };
}
