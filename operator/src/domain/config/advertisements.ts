import type { BGPAdvertisement } from "../api/bgp-advertisement.ts";
import { DEFAULT_AGGREGATION_LENGTH, DEFAULT_AGGREGATION_LENGTH_V6 } from "../api/bgp-advertisement.ts";
import type { Node } from "../api/core.ts";
import type { L2Advertisement } from "../api/l2-advertisement.ts";
import type { LabelSelector } from "../api/label-selector.ts";
import {
  type CompiledSelector,
  compileSelector,
  compileSelectorList,
  selectorMatches,
} from "../selector/label-selector.ts";
import { type BGPCommunity, compareCommunities, formatCommunity, parseCommunity } from "./community-value.ts";
import { type ConfigError, type ConfigObjectKind, configError } from "./errors.ts";
import { firstDuplicate, listOf, nameOf, sortedByName } from "./objects.ts";
import type { PoolDraft } from "./pools.ts";
import type { BGPAdvertisementConfig, L2AdvertisementConfig, WeightedSelector } from "./types.ts";

/** Advertisements attached to pools by pool name. */
export interface Attached<T> {
  readonly byPool: Map<string, T[]>;
  readonly errors: ConfigError[];
}

interface Common {
  readonly nodes: ReadonlySet<string>;
  readonly pools: readonly PoolDraft[];
  readonly serviceSelectors: readonly CompiledSelector[];
}

/**
 * The parts L2 and BGP advertisements share: pool references (names and label selectors; neither
 * means every pool; unknown names are ignored, as in MetalLB), node selectors resolved to node
 * names, service selectors. Duplicates inside one list are rejected.
 */
function commonOf(
  kind: ConfigObjectKind,
  name: string,
  spec: {
    ipAddressPools?: readonly string[];
    ipAddressPoolSelectors?: readonly LabelSelector[];
    nodeSelectors?: readonly LabelSelector[];
    serviceSelectors?: readonly LabelSelector[];
  },
  pools: readonly PoolDraft[],
  nodes: readonly Node[] | undefined,
  errors: ConfigError[],
): Common | undefined {
  const before = errors.length;
  const names = listOf(spec.ipAddressPools);
  const duplicate = firstDuplicate(names);
  if (duplicate !== undefined) {
    errors.push(
      configError(
        "duplicateReference",
        kind,
        name,
        "spec.ipAddressPools",
        `duplicate definition of ipAddressPools "${duplicate}"`,
      ),
    );
  }
  const poolSelectors = compileSelectorList(spec.ipAddressPoolSelectors, "ipAddressPoolSelectors");
  if (!poolSelectors.ok)
    errors.push(
      configError("invalidSelector", kind, name, "spec.ipAddressPoolSelectors", poolSelectors.error),
    );
  const nodeSelectors = compileSelectorList(spec.nodeSelectors, "nodeSelectors");
  if (!nodeSelectors.ok)
    errors.push(configError("invalidSelector", kind, name, "spec.nodeSelectors", nodeSelectors.error));
  const serviceSelectors = compileSelectorList(spec.serviceSelectors, "serviceSelectors");
  if (!serviceSelectors.ok)
    errors.push(configError("invalidSelector", kind, name, "spec.serviceSelectors", serviceSelectors.error));
  if (errors.length !== before || !poolSelectors.ok || !nodeSelectors.ok || !serviceSelectors.ok)
    return undefined;

  const all = names.length === 0 && poolSelectors.value.length === 0;
  const selected = pools.filter(
    (p) => all || names.includes(p.name) || poolSelectors.value.some((s) => selectorMatches(s, p.labels)),
  );
  const nodeNames = new Set<string>();
  for (const node of sortedByName(nodes)) {
    if (
      nodeSelectors.value.length === 0 ||
      nodeSelectors.value.some((s) => selectorMatches(s, node.metadata?.labels))
    ) {
      nodeNames.add(nameOf(node));
    }
  }
  return { nodes: nodeNames, pools: selected, serviceSelectors: serviceSelectors.value };
}

function attach<T>(byPool: Map<string, T[]>, pools: readonly PoolDraft[], ad: T): void {
  for (const pool of pools) {
    const list = byPool.get(pool.name) ?? [];
    list.push(ad);
    byPool.set(pool.name, list);
  }
}

export function parseL2Advertisements(
  raw: readonly L2Advertisement[] | undefined,
  pools: readonly PoolDraft[],
  nodes: readonly Node[] | undefined,
): Attached<L2AdvertisementConfig> {
  const kind = "L2Advertisement";
  const byPool = new Map<string, L2AdvertisementConfig[]>();
  const errors: ConfigError[] = [];
  for (const object of sortedByName(raw)) {
    const name = nameOf(object);
    const spec = object.spec ?? {};
    const common = commonOf(kind, name, spec, pools, nodes, errors);
    const preferred: WeightedSelector[] = [];
    let preferredOk = true;
    listOf(spec.preferredNodeSelectors).forEach((entry, i) => {
      const field = `spec.preferredNodeSelectors[${i}]`;
      if (!Number.isInteger(entry?.weight) || entry.weight < 1 || entry.weight > 100) {
        errors.push(
          configError(
            "invalidWeight",
            kind,
            name,
            `${field}.weight`,
            `weight must be 1-100, got ${entry?.weight}`,
          ),
        );
        preferredOk = false;
        return;
      }
      const selector = compileSelector(entry.preference);
      if (!selector.ok) {
        errors.push(configError("invalidSelector", kind, name, `${field}.preference`, selector.error));
        preferredOk = false;
        return;
      }
      preferred.push({ weight: entry.weight, selector: selector.value });
    });
    if (common === undefined || !preferredOk) continue;
    const interfaces = listOf(spec.interfaces);
    attach(byPool, common.pools, {
      name,
      nodes: common.nodes,
      interfaces,
      allInterfaces: interfaces.length === 0,
      serviceSelectors: common.serviceSelectors,
      preferredNodeSelectors: preferred,
    });
  }
  return { byPool, errors };
}

/**
 * BGPAdvertisements: aggregation lengths (<= 32 / <= 128, and no longer than the shortest prefix
 * of each address entry of every selected pool), communities (literal or alias; an unknown alias
 * is transient), and LOCAL_PREF consistency between advertisements that cover the same pool
 * (MetalLB validateBGPAdvPerPool / advertisementsAreCompatible).
 */
export function parseBGPAdvertisements(
  raw: readonly BGPAdvertisement[] | undefined,
  pools: readonly PoolDraft[],
  nodes: readonly Node[] | undefined,
  aliases: ReadonlyMap<string, BGPCommunity>,
): Attached<BGPAdvertisementConfig> {
  const kind = "BGPAdvertisement";
  const byPool = new Map<string, BGPAdvertisementConfig[]>();
  const errors: ConfigError[] = [];
  for (const object of sortedByName(raw)) {
    const name = nameOf(object);
    const spec = object.spec ?? {};
    const before = errors.length;
    const fail = (code: ConfigError["code"], field: string, detail: string, transient = false) =>
      errors.push(configError(code, kind, name, field, detail, transient));
    const common = commonOf(kind, name, spec, pools, nodes, errors);
    const dupCommunity = firstDuplicate(listOf(spec.communities));
    if (dupCommunity !== undefined)
      fail("duplicateReference", "spec.communities", `duplicate definition of community "${dupCommunity}"`);
    const dupPeer = firstDuplicate(listOf(spec.peers));
    if (dupPeer !== undefined)
      fail("duplicateReference", "spec.peers", `duplicate definition of peers "${dupPeer}"`);
    const aggregationLength = spec.aggregationLength ?? DEFAULT_AGGREGATION_LENGTH;
    if (!Number.isInteger(aggregationLength) || aggregationLength < 0 || aggregationLength > 32) {
      fail(
        "invalidAggregationLength",
        "spec.aggregationLength",
        `invalid aggregation length ${aggregationLength} for IPv4`,
      );
    }
    const aggregationLengthV6 = spec.aggregationLengthV6 ?? DEFAULT_AGGREGATION_LENGTH_V6;
    if (!Number.isInteger(aggregationLengthV6) || aggregationLengthV6 < 0 || aggregationLengthV6 > 128) {
      fail(
        "invalidAggregationLength",
        "spec.aggregationLengthV6",
        `invalid aggregation length ${aggregationLengthV6} for IPv6`,
      );
    }
    if (
      listOf(spec.serviceSelectors).length > 0 &&
      (aggregationLength !== DEFAULT_AGGREGATION_LENGTH ||
        aggregationLengthV6 !== DEFAULT_AGGREGATION_LENGTH_V6)
    ) {
      fail(
        "serviceSelectorsWithAggregation",
        "spec.serviceSelectors",
        "serviceSelectors can only be used with the default aggregation lengths (32 and 128)",
      );
    }
    const localPref = spec.localPref ?? 0;
    if (!Number.isInteger(localPref) || localPref < 0 || localPref > 4294967295) {
      fail("invalidSpec", "spec.localPref", `invalid local preference ${localPref}`);
    }
    const communities = new Map<string, BGPCommunity>();
    listOf(spec.communities).forEach((text, i) => {
      const field = `spec.communities[${i}]`;
      const alias = aliases.get(text);
      if (alias !== undefined) {
        communities.set(formatCommunity(alias), alias);
        return;
      }
      const parsed = parseCommunity(String(text));
      if (parsed.ok) communities.set(formatCommunity(parsed.value), parsed.value);
      else if (parsed.reason === "invalidValue")
        fail("invalidCommunity", field, `invalid community "${text}" in BGP advertisement: ${parsed.error}`);
      else {
        fail(
          "unknownCommunityAlias",
          field,
          `invalid community "${text}" in BGP advertisement: not of the form A:B or large:A:B:C, and no Community object defines an alias "${text}"`,
          true,
        );
      }
    });
    if (common === undefined || errors.length !== before) continue;
    const ad: BGPAdvertisementConfig = {
      name,
      aggregationLength,
      aggregationLengthV6,
      localPref,
      communities: [...communities.values()].sort(compareCommunities),
      nodes: common.nodes,
      peers: listOf(spec.peers),
      serviceSelectors: common.serviceSelectors,
    };
    let valid = true;
    for (const pool of common.pools) {
      const problem = aggregationProblem(ad, pool) ?? localPrefProblem(ad, pool, byPool.get(pool.name) ?? []);
      if (problem !== undefined) {
        fail(problem.code, problem.field, problem.detail);
        valid = false;
      }
    }
    if (valid) attach(byPool, common.pools, ad);
  }
  return { byPool, errors };
}

interface Problem {
  readonly code: ConfigError["code"];
  readonly field: string;
  readonly detail: string;
}

function aggregationProblem(ad: BGPAdvertisementConfig, pool: PoolDraft): Problem | undefined {
  for (const entry of pool.addresses) {
    const first = entry.cidrs[0];
    if (first === undefined) continue;
    const v6 = first.family === "ipv6";
    const length = v6 ? ad.aggregationLengthV6 : ad.aggregationLength;
    // For a range (several prefixes) only the widest one has to fit, as in MetalLB.
    const shortest = Math.min(...entry.cidrs.map((c) => c.prefix));
    if (length < shortest) {
      return {
        code: "aggregationLengthTooLong",
        field: v6 ? "spec.aggregationLengthV6" : "spec.aggregationLength",
        detail: `invalid aggregation length ${length}: prefix ${shortest} in pool "${pool.name}" is more specific than the aggregation length for addresses ${entry.text}`,
      };
    }
  }
  return undefined;
}

/**
 * Two advertisements of one pool may set different LOCAL_PREF values only when their updates
 * can never meet: both aggregation lengths differ, their peer lists are disjoint, or their node
 * sets are. Advertisements with serviceSelectors are exempt here (MetalLB rechecks those per
 * Service in the speaker).
 */
function localPrefProblem(
  ad: BGPAdvertisementConfig,
  pool: PoolDraft,
  existing: readonly BGPAdvertisementConfig[],
): Problem | undefined {
  if (ad.serviceSelectors.length > 0) return undefined;
  for (const other of existing) {
    if (other.localPref === ad.localPref || other.serviceSelectors.length > 0) continue;
    if (
      other.aggregationLength !== ad.aggregationLength &&
      other.aggregationLengthV6 !== ad.aggregationLengthV6
    )
      continue;
    if (ad.peers.length > 0 && other.peers.length > 0 && !ad.peers.some((p) => other.peers.includes(p)))
      continue;
    if (![...ad.nodes].some((n) => other.nodes.has(n))) continue;
    return {
      code: "localPrefConflict",
      field: "spec.localPref",
      detail: `invalid local preference ${ad.localPref}: local preference ${other.localPref} was already set for the same type of BGP update by BGPAdvertisement "${other.name}" on pool "${pool.name}". Check existing BGP advertisements with common pools and aggregation lengths`,
    };
  }
  return undefined;
}
