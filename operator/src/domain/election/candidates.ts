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
import { InternPool } from "../intern-pool.ts";
import { selectorMatches } from "../selector/label-selector.ts";
import type { NodeFacts } from "./node-facts.ts";
import type { ServingEndpoints } from "./serving-endpoints.ts";
import { sha256Hex, sha256Into } from "./sha256.ts";

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

/** Whether one of the advertisements selects the node (a loop: this runs per node per Service). */
function anySelects(ads: readonly L2AdvertisementConfig[], node: string): boolean {
  for (const ad of ads) if (ad.nodes.has(node)) return true;
  return false;
}

function exclusionOf(node: string, input: L2ElectionInput): L2Exclusion | undefined {
  if (input.members !== undefined && !input.members.has(node)) return "notMember";
  if (!anySelects(input.advertisements, node)) return "notSelectedByAdvertisement";
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

interface Universe {
  readonly members: ReadonlySet<string> | undefined;
  /** Known nodes and members, in name order. */
  readonly names: readonly string[];
  readonly key: string;
}

/**
 * The node universe per (nodes, members) pair: one reconcile asks 10k times, with one members set
 * per announcing segment (segments.ts), so a few pairs alternate.
 */
const universes = new WeakMap<
  ReadonlyMap<string, NodeFacts>,
  Map<ReadonlySet<string> | undefined, Universe>
>();
/** Members sets kept per Node map; a reconcile has one per segment, so more means old ones. */
const MAX_UNIVERSES_PER_NODES = 16;

function universeOf(input: L2ElectionInput): Universe {
  let byMembers = universes.get(input.nodes);
  const cached = byMembers?.get(input.members);
  if (cached !== undefined) return cached;
  if (byMembers === undefined || byMembers.size >= MAX_UNIVERSES_PER_NODES) {
    byMembers = new Map();
    universes.set(input.nodes, byMembers);
  }
  const names = new Set<string>(input.nodes.keys());
  for (const member of input.members ?? []) names.add(member);
  const sorted = [...names].sort();
  const universe = { members: input.members, names: sorted, key: sorted.join("\n") };
  byMembers.set(input.members, universe);
  return universe;
}

/**
 * IP -> the universe's nodes in ascending hash order. Hashes never change, and the universe (Node
 * objects and members) rarely does, so a reconcile after a failover re-hashes nothing: with 50
 * nodes and 10k IPs that is 500k SHA-256 computations saved. Bounded; the oldest entry goes first.
 * Kept for one universe at a time (`hashOrdersOf`): a failover changes the members, not the
 * universe, and a plain IP -> order map costs no wrapper object per IP.
 * Invisible to callers (a memo of a pure function), hence still pure.
 */
let hashOrders = new Map<string, readonly string[]>();
let hashOrdersOf: string | undefined;
const MAX_CACHED_IPS = 1 << 17;

/**
 * One shared array per distinct list of node names. Every Service keeps its hash order and its
 * ranked candidates; with a handful of nodes there are only a few distinct lists (24 orders of 4
 * nodes) against 10k Services, so sharing them saves an array per Service. Bounded (InternPool):
 * a large cluster with as many distinct lists as IPs keeps its own arrays past the bound.
 */
const nameLists = new InternPool<readonly string[]>();

export function internedNames(names: readonly string[]): readonly string[] {
  return nameLists.get(names.join("\n"), () => names);
}

/** Digest words of each node of the universe being ordered (8 per node), reused across calls. */
let digests = new Uint32Array(8 * 8);

/** Whether node i's digest sorts before node j's: byte order, i.e. word by word, unsigned. */
function digestBefore(i: number, j: number): number {
  for (let w = 0; w < 8; w++) {
    const x = digests[i * 8 + w]!;
    const y = digests[j * 8 + w]!;
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

function hashOrder(firstIP: string, universe: Universe): readonly string[] {
  if (hashOrdersOf !== universe.key) {
    hashOrders = new Map();
    hashOrdersOf = universe.key;
  }
  const cached = hashOrders.get(firstIP);
  if (cached !== undefined) return cached;
  const names = universe.names;
  if (digests.length < names.length * 8) digests = new Uint32Array(names.length * 16);
  const index: number[] = [];
  for (let i = 0; i < names.length; i++) {
    sha256Into(`${names[i]}#${firstIP}`, digests, i * 8);
    index.push(i);
  }
  // Ties (never seen for SHA-256) fall back to the name: `names` is sorted and sort is stable.
  index.sort(digestBefore);
  const order = internedNames(index.map((i) => names[i]!));
  if (hashOrders.size >= MAX_CACHED_IPS) {
    const oldest = hashOrders.keys().next();
    if (!oldest.done) hashOrders.delete(oldest.value);
  }
  hashOrders.set(firstIP, order);
  return order;
}

export function l2Candidates(input: L2ElectionInput): L2Candidates {
  const universe = universeOf(input);
  const excluded = new Map<string, L2Exclusion>();
  if (!input.endpoints.any) {
    for (const node of universe.names) excluded.set(node, "noEndpoints");
    return { ranked: [], excluded };
  }
  for (const node of universe.names) {
    const exclusion = exclusionOf(node, input);
    if (exclusion !== undefined) excluded.set(node, exclusion);
  }
  const ranked: RankedCandidate[] = [];
  if (excluded.size === universe.names.length) return { ranked, excluded };
  let weighted = false;
  for (const node of hashOrder(input.firstIP, universe)) {
    if (excluded.has(node)) continue;
    const weight = preferenceWeight(node, input);
    weighted ||= weight !== 0;
    ranked.push({ node, weight });
  }
  // Higher summed weight first; stable, so equal weights keep the hash order.
  if (weighted) ranked.sort((a, b) => b.weight - a.weight);
  return { ranked, excluded };
}
