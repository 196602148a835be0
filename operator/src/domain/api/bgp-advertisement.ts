import type { METALLB_V1BETA1 } from "./group.ts";
import type { LabelSelector } from "./label-selector.ts";
import type { ObjectMeta } from "./object-meta.ts";

/** BGPAdvertisement (metallb.io/v1beta1): announce some pools' addresses to BGP peers. */
export interface BGPAdvertisement {
  readonly apiVersion: typeof METALLB_V1BETA1;
  readonly kind: "BGPAdvertisement";
  readonly metadata: ObjectMeta;
  readonly spec: BGPAdvertisementSpec;
  readonly status?: Readonly<Record<string, never>>;
}

export const DEFAULT_AGGREGATION_LENGTH = 32;
export const DEFAULT_AGGREGATION_LENGTH_V6 = 128;

export interface BGPAdvertisementSpec {
  /** 1..32, default 32. Must not be longer than the shortest IPv4 prefix of a selected pool. */
  readonly aggregationLength?: number;
  /** 1..128, default 128. Same rule for IPv6 prefixes. */
  readonly aggregationLengthV6?: number;
  /** LOCAL_PREF (RFC 4271 §5.1.5), iBGP only; 0 = not set. */
  readonly localPref?: number;
  /**
   * `A:B` (RFC 1997, 16 bits each), `large:A:B:C` (RFC 8092, 32 bits each) or the name of an
   * alias defined in a Community object.
   */
  readonly communities?: readonly string[];
  readonly ipAddressPools?: readonly string[];
  readonly ipAddressPoolSelectors?: readonly LabelSelector[];
  /** Nodes that advertise (and are next hops). Empty: every node. */
  readonly nodeSelectors?: readonly LabelSelector[];
  /** BGPPeer names to advertise to. Empty: every peer. */
  readonly peers?: readonly string[];
  /** Only allowed with the default aggregation lengths (32 / 128). */
  readonly serviceSelectors?: readonly LabelSelector[];
}
