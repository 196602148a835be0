import type { METALLB_V1BETA1 } from "./group.ts";
import type { LabelSelector } from "./label-selector.ts";
import type { ObjectMeta } from "./object-meta.ts";

/** L2Advertisement (metallb.io/v1beta1): announce some pools' addresses by ARP (IPv4) / NDP (IPv6). */
export interface L2Advertisement {
  readonly apiVersion: typeof METALLB_V1BETA1;
  readonly kind: "L2Advertisement";
  readonly metadata: ObjectMeta;
  readonly spec: L2AdvertisementSpec;
  /** Always empty in MetalLB; kept so the status subresource has a shape. */
  readonly status?: Readonly<Record<string, never>>;
}

export interface L2AdvertisementSpec {
  /** Pools by name. With ipAddressPoolSelectors also empty, the advertisement covers every pool. */
  readonly ipAddressPools?: readonly string[];
  readonly ipAddressPoolSelectors?: readonly LabelSelector[];
  /** Nodes allowed to announce (selectors ORed). Empty: every node. */
  readonly nodeSelectors?: readonly LabelSelector[];
  /**
   * Interfaces to announce from (empty: all but the excluded ones). Does not take part in leader
   * election: a node lacking the interface can still win and then fail to announce.
   */
  readonly interfaces?: readonly string[];
  /** Limits the advertisement to matching Services (selectors ORed). Empty: all Services. */
  readonly serviceSelectors?: readonly LabelSelector[];
  /**
   * Soft leader preference: weights of matching entries are summed per node, and higher sums win
   * before the hash tie-break, among the nodes that are eligible anyway.
   */
  readonly preferredNodeSelectors?: readonly WeightedNodeSelector[];
}

export interface WeightedNodeSelector {
  /** 1..100. */
  readonly weight: number;
  readonly preference: LabelSelector;
}
