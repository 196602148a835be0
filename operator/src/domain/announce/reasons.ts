/**
 * Why this node does not announce a Service in Layer 2 mode. The strings are MetalLB's (logged
 * as `serviceWithdrawn` reasons) and are used verbatim in logs, metrics labels and tests.
 *
 * Where MetalLB's Layer 2 code says `notOwner` for every lost election, metalbun names the rule
 * that took this node out, using the names MetalLB's BGP side already uses for the same rules
 * (`noEndpoints`, `noLocalEndpoints`, `nodeNetworkUnavailable`, `nodeLabeledExcludeBalancers`);
 * `notOwner` remains for "a candidate, but another node ranks first" and "not a live member".
 */
export type L2WithdrawReason =
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
  /** No endpoint of the Service can serve anywhere (MetalLB L2 says `notOwner`). */
  | "noEndpoints"
  /** allow-shared-ip with an L2Advertisement that uses serviceSelectors (MetalLB main, #3025). */
  | "sharedIPWithServiceSelector"
  /** No advertisement covering the Service selects this node. */
  | "noMatchingAdvertisement"
  | "nodeNetworkUnavailable"
  | "nodeLabeledExcludeBalancers"
  /** externalTrafficPolicy Local and no serving endpoint on this node. */
  | "noLocalEndpoints"
  /** Another node ranks first, or this node's speaker is not a live member. */
  | "notOwner";
