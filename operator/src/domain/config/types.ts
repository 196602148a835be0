import type { BFDProfile } from "../api/bfd-profile.ts";
import type { BGPAdvertisement } from "../api/bgp-advertisement.ts";
import type { BGPPeer, DynamicASNMode, SecretReference } from "../api/bgp-peer.ts";
import type { Community } from "../api/community.ts";
import type { Namespace, Node } from "../api/core.ts";
import type { IPAddressPool } from "../api/ip-address-pool.ts";
import type { L2Advertisement } from "../api/l2-advertisement.ts";
import type { IPAddress } from "../ip/address.ts";
import type { Cidr } from "../ip/cidr.ts";
import type { CompiledSelector, Labels } from "../selector/label-selector.ts";
import type { BGPCommunity } from "./community-value.ts";

/** Everything the configuration is parsed from: raw objects as the apiserver returns them. */
export interface ClusterResources {
  readonly ipAddressPools?: readonly IPAddressPool[];
  readonly l2Advertisements?: readonly L2Advertisement[];
  readonly bgpAdvertisements?: readonly BGPAdvertisement[];
  readonly bgpPeers?: readonly BGPPeer[];
  readonly bfdProfiles?: readonly BFDProfile[];
  readonly communities?: readonly Community[];
  /** Resolves IPAddressPool namespaceSelectors to namespace names. */
  readonly namespaces?: readonly Namespace[];
  /** Resolves advertisement nodeSelectors to node names. */
  readonly nodes?: readonly Node[];
}

/** A pool's serviceAllocation, resolved: who may use the pool, and its priority. */
export interface PoolServiceAllocation {
  /** Lower first; 0 means "no priority" and sorts after every non-zero priority. */
  readonly priority: number;
  /**
   * Namespaces the pool is restricted to: the listed ones plus those namespaceSelectors selected
   * at parse time. undefined when neither `namespaces` nor `namespaceSelectors` is set.
   */
  readonly namespaces: ReadonlySet<string> | undefined;
  /** ORed; empty means no restriction on Service labels. */
  readonly serviceSelectors: readonly CompiledSelector[];
}

/** Exact address counts (bigint) by family, after avoidBuggyIPs; `enormous` as MetalLB defines it. */
export interface PoolCapacity {
  readonly ipv4: bigint;
  readonly ipv6: bigint;
  /** Some IPv6 prefix has >= 62 host bits: MetalLB reports MaxInt64 for such pools. */
  readonly ipv6Enormous: boolean;
}

export interface PoolAddressEntry {
  /** The entry as written in spec.addresses. */
  readonly text: string;
  readonly cidrs: readonly Cidr[];
}

export interface Pool {
  readonly name: string;
  readonly labels: Labels;
  /** Every prefix of the pool, in the order of spec.addresses (ranges expanded in ascending order). */
  readonly cidrs: readonly Cidr[];
  readonly addresses: readonly PoolAddressEntry[];
  readonly autoAssign: boolean;
  readonly avoidBuggyIPs: boolean;
  readonly serviceAllocation: PoolServiceAllocation | undefined;
  readonly capacity: PoolCapacity;
  readonly l2Advertisements: readonly L2AdvertisementConfig[];
  readonly bgpAdvertisements: readonly BGPAdvertisementConfig[];
}

/** Pools indexed like MetalLB's config.Pools (ByName, ByNamespace, ByServiceSelector); all sorted. */
export interface Pools {
  /** Iterates in pool-name order. */
  readonly byName: ReadonlyMap<string, Pool>;
  /** namespace -> names of pools restricted to (among others) that namespace, sorted. */
  readonly byNamespace: ReadonlyMap<string, readonly string[]>;
  /** Names of pools that have serviceSelectors, sorted. */
  readonly byServiceSelector: readonly string[];
}

export interface WeightedSelector {
  readonly weight: number;
  readonly selector: CompiledSelector;
}

export interface L2AdvertisementConfig {
  readonly name: string;
  /** Nodes selected by nodeSelectors at parse time (all nodes when there are none). */
  readonly nodes: ReadonlySet<string>;
  readonly interfaces: readonly string[];
  readonly allInterfaces: boolean;
  /** ORed; empty: every Service of the selected pools. */
  readonly serviceSelectors: readonly CompiledSelector[];
  readonly preferredNodeSelectors: readonly WeightedSelector[];
}

export interface BGPAdvertisementConfig {
  readonly name: string;
  readonly aggregationLength: number;
  readonly aggregationLengthV6: number;
  /** 0: not set. */
  readonly localPref: number;
  /** Sorted, without duplicates; aliases resolved. */
  readonly communities: readonly BGPCommunity[];
  readonly nodes: ReadonlySet<string>;
  /** BGPPeer names; empty: every peer. */
  readonly peers: readonly string[];
  readonly serviceSelectors: readonly CompiledSelector[];
}

export interface PeerConfig {
  readonly name: string;
  readonly myASN: number;
  readonly peerASN: number | undefined;
  readonly dynamicASN: DynamicASNMode | undefined;
  readonly localASN: number | undefined;
  readonly address: IPAddress | undefined;
  readonly interface: string | undefined;
  readonly sourceAddress: IPAddress | undefined;
  readonly port: number;
  /** Milliseconds; undefined: the backend default. */
  readonly holdTimeMs: number | undefined;
  readonly keepaliveTimeMs: number | undefined;
  readonly connectTimeMs: number | undefined;
  readonly routerID: IPAddress | undefined;
  /** ORed; never empty (no selector means every node). */
  readonly nodeSelectors: readonly CompiledSelector[];
  readonly password: string | undefined;
  readonly passwordSecret: SecretReference | undefined;
  readonly bfdProfile: string | undefined;
  readonly enableGracefulRestart: boolean;
  readonly ebgpMultiHop: boolean;
  readonly vrf: string | undefined;
  readonly disableMP: boolean;
  readonly dualStackAddressFamily: boolean;
}

export interface BFDProfileConfig {
  readonly name: string;
  readonly receiveInterval: number | undefined;
  readonly transmitInterval: number | undefined;
  readonly detectMultiplier: number | undefined;
  readonly echoInterval: number | undefined;
  readonly echoMode: boolean;
  readonly passiveMode: boolean;
  readonly minimumTtl: number | undefined;
}

/** A validated configuration; downstream code never sees raw CRs. */
export interface Config {
  readonly pools: Pools;
  /** By name, in name order. */
  readonly peers: ReadonlyMap<string, PeerConfig>;
  readonly bfdProfiles: ReadonlyMap<string, BFDProfileConfig>;
}
