/**
 * Why this node does not announce a Service. The strings are MetalLB's (logged as
 * `serviceWithdrawn` reasons) and are used verbatim in logs, metrics labels and tests.
 *
 * The checks common to every protocol (MetalLB's speaker runs them before any protocol handler,
 * or every handler runs them alike) come first and give a CommonWithdrawReason; then each
 * protocol adds its own.
 *
 * Where MetalLB's Layer 2 code says `notOwner` for every lost election, metalbun names the rule
 * that took this node out, using the names MetalLB's BGP side already uses for the same rules
 * (`noEndpoints`, `noLocalEndpoints`, `nodeNetworkUnavailable`, `nodeLabeledExcludeBalancers`);
 * `notOwner` remains for "a candidate, but another node ranks first" and "not a live member".
 * Where MetalLB's BGP code says `notOwner` for "no BGPAdvertisement of the pool selects this node",
 * metalbun says `noMatchingAdvertisement`, as for Layer 2.
 */
export type CommonWithdrawReason =
  /** Not `type: LoadBalancer`. */
  | "notLoadBalancer"
  /** spec.loadBalancerClass does not match --lb-class (another implementation's Service). */
  | "loadBalancerClassMismatch"
  /** No `status.loadBalancer.ingress` entry yet. */
  | "noIPAllocated"
  /** Ingress entries, but no parsable IP. */
  | "invalidIP"
  /** The IPs lie in no pool of the configuration in use (MetalLB `ipNotAllowed`). */
  | "ipNotAllowed"
  /** No configuration has loaded yet. */
  | "noConfig"
  /** No endpoint of the Service can serve anywhere. */
  | "noEndpoints";

/** Facts of this node that keep it from announcing anything of a Service, in every protocol. */
export type NodeWithdrawReason =
  | "nodeNetworkUnavailable"
  | "nodeLabeledExcludeBalancers"
  /** externalTrafficPolicy Local and no serving endpoint on this node. */
  | "noLocalEndpoints";

export type L2WithdrawReason =
  | CommonWithdrawReason
  | NodeWithdrawReason
  /** allow-shared-ip with an L2Advertisement that uses serviceSelectors (MetalLB main, #3025). */
  | "sharedIPWithServiceSelector"
  /** No L2Advertisement covering the Service selects this node. */
  | "noMatchingAdvertisement"
  /** Another node ranks first, or this node's speaker is not a live member. */
  | "notOwner";

export type BgpWithdrawReason =
  | CommonWithdrawReason
  | NodeWithdrawReason
  /** No BGPAdvertisement covering the Service selects this node. */
  | "noMatchingAdvertisement";
