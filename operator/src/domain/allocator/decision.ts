import type { ServiceEvent } from "./events.ts";
import type { AllocationFailure } from "./failure.ts";

/**
 * Why a Service ends up as it does. The same strings go to logs, metrics labels and tests.
 * - loadBalancerClassMismatch: another controller's Service (--lb-class); left untouched.
 * - notLoadBalancer / noPools / noClusterIPs / notEnoughClusterIPs: cleared, nothing allocated.
 * - invalidClusterIPs: cluster IPs of no known family while holding IPs; left untouched.
 * - invalidRequestedIPs: malformed loadBalancerIPs while holding IPs (LoadBalancerFailed).
 * - kept: the IPs it holds are still allowed (possibly plus an additional family).
 * - allocated: it got new IPs in this plan.
 * - allocationFailed: it needs IPs and none could be given (AllocationFailed).
 */
export type DecisionReason =
  | "loadBalancerClassMismatch"
  | "notLoadBalancer"
  | "noPools"
  | "noClusterIPs"
  | "notEnoughClusterIPs"
  | "invalidClusterIPs"
  | "invalidRequestedIPs"
  | "kept"
  | "allocated"
  | "allocationFailed";

/** The patch a Service needs; the executor writes it as one status update plus one annotation patch. */
export interface ServiceWrite {
  /** status.loadBalancer.ingress: one `{ip}` entry per address, in this order ([] clears it). */
  readonly ingressIPs: readonly string[];
  /**
   * `metallb.io/ip-allocated-from-pool`: set to this pool, or removed when undefined. The legacy
   * `metallb.universe.tf/ip-allocated-from-pool` is always removed (MetalLB writes only the new name).
   */
  readonly allocatedFromPool: string | undefined;
}

export interface ServiceDecision {
  readonly key: string;
  readonly reason: DecisionReason;
  /** The IPs the Service holds after this plan (canonical text). */
  readonly ips: readonly string[];
  /** The pool they come from. */
  readonly pool: string | undefined;
  /** undefined: the Service already looks like this; nothing to write. */
  readonly write: ServiceWrite | undefined;
  /**
   * The Events MetalLB would emit processing this Service now, in its order. Failures repeat on
   * every plan while they last (as they do in MetalLB on every reprocess): the executor should
   * emit an event when it differs from the last one it emitted for the Service, and let the
   * apiserver's event aggregation count the rest.
   */
  readonly events: readonly ServiceEvent[];
  /** The failure text, for logs (also inside the event message). */
  readonly error: string | undefined;
  /** The failure as a typed value (allocationFailed only): which rule, and what stands in the way. */
  readonly failure?: AllocationFailure;
}

/** Per-pool counters for IPAddressPool.status and the allocator metrics (JSON-safe numbers). */
export interface PoolCounters {
  readonly assignedIPv4: number;
  readonly assignedIPv6: number;
  readonly availableIPv4: number;
  readonly availableIPv6: number;
}

export interface AllocationPlan {
  /** One per input Service, sorted by key. */
  readonly decisions: readonly ServiceDecision[];
  /** One per configured pool, in pool-name order. */
  readonly pools: ReadonlyMap<string, PoolCounters>;
}
