import type { METALLB_V1BETA1 } from "./group.ts";
import type { LabelSelector } from "./label-selector.ts";
import type { ObjectMeta } from "./object-meta.ts";

/**
 * IPAddressPool (metallb.io/v1beta1): a set of addresses the controller may hand out to
 * LoadBalancer Services.
 */
export interface IPAddressPool {
  readonly apiVersion: typeof METALLB_V1BETA1;
  readonly kind: "IPAddressPool";
  readonly metadata: ObjectMeta;
  readonly spec: IPAddressPoolSpec;
  readonly status?: IPAddressPoolStatus;
}

export interface IPAddressPoolSpec {
  /**
   * Each item a CIDR (`10.0.0.0/24`; host bits are tolerated, as Go's ParseCIDR does) or a range
   * `first-last` (whitespace around either end is ignored, first <= last, same family). IPv4 and
   * IPv6 may mix in one pool. At least one item.
   */
  readonly addresses: readonly string[];
  /** Default true. false: only used when a Service asks for this pool or one of its addresses. */
  readonly autoAssign?: boolean;
  /** Default false. true: never hand out IPv4 addresses ending in .0 or .255. */
  readonly avoidBuggyIPs?: boolean;
  readonly serviceAllocation?: ServiceAllocation;
}

/** Restricts a pool to some Services and orders pools; see MetalLB "IP address pool allocation". */
export interface ServiceAllocation {
  /** Lower is preferred; 0 (the default) means "no priority" and sorts after every prioritized pool. */
  readonly priority?: number;
  readonly namespaces?: readonly string[];
  readonly namespaceSelectors?: readonly LabelSelector[];
  readonly serviceSelectors?: readonly LabelSelector[];
}

/** Written by the controller. Pools of 2^63 or more IPv6 addresses report the int64 maximum. */
export interface IPAddressPoolStatus {
  readonly assignedIPv4?: number;
  readonly assignedIPv6?: number;
  readonly availableIPv4?: number;
  readonly availableIPv6?: number;
}
