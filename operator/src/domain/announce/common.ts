/**
 * The checks every protocol makes before its own (MetalLB §4.1): the Service is ours, has IPs that
 * a pool of the configuration in use holds, and some endpoint can serve it. Decided once per
 * Service and reconcile, then handed to each protocol's decision.
 */
import type { Pool } from "../config/types.ts";
import { NO_SERVING_ENDPOINTS, type ServingEndpoints } from "../election/serving-endpoints.ts";
import type { CommonWithdrawReason, NodeWithdrawReason } from "./reasons.ts";
import { type AnnounceRequest, ingressAddresses } from "./request.ts";
import type { AnnounceView } from "./view.ts";

export type CommonVerdict =
  | {
      readonly eligible: false;
      readonly reason: CommonWithdrawReason;
      /** The pool holding the IPs, when the check that failed came after finding it. */
      readonly pool: Pool | undefined;
    }
  | { readonly eligible: true; readonly pool: Pool; readonly endpoints: ServingEndpoints };

function classMatches(request: AnnounceRequest, loadBalancerClass: string): boolean {
  return (request.loadBalancerClass ?? "") === loadBalancerClass;
}

const refused = (reason: CommonWithdrawReason, pool?: Pool): CommonVerdict => ({
  eligible: false,
  reason,
  pool,
});

export function commonVerdictFor(request: AnnounceRequest, view: AnnounceView): CommonVerdict {
  if (!request.isLoadBalancer) return refused("notLoadBalancer");
  if (!classMatches(request, view.loadBalancerClass)) return refused("loadBalancerClassMismatch");
  if (request.ingress === "none") return refused("noIPAllocated");
  if (request.ingress === "invalid") return refused("invalidIP");
  if (view.config === undefined || view.pools === undefined) return refused("noConfig");
  const pool = view.pools.poolFor(ingressAddresses(request));
  if (pool === undefined) return refused("ipNotAllowed");
  const endpoints = view.endpoints.get(request.namespace, request.name) ?? NO_SERVING_ENDPOINTS;
  if (!endpoints.any) return refused("noEndpoints", pool);
  return { eligible: true, pool, endpoints };
}

/**
 * Why `node` may not announce the Service at all, whatever the protocol (MetalLB checks these in
 * each handler, in this order): NetworkUnavailable, the exclude label (unless --ignore-exclude-lb),
 * and under externalTrafficPolicy Local a node without a serving endpoint.
 */
export function nodeWithdrawReason(
  node: string,
  request: AnnounceRequest,
  endpoints: ServingEndpoints,
  view: AnnounceView,
): NodeWithdrawReason | undefined {
  const facts = view.nodes.get(node);
  if (facts?.networkUnavailable) return "nodeNetworkUnavailable";
  if (facts?.excludedFromLoadBalancers && !view.ignoreExcludeLB) return "nodeLabeledExcludeBalancers";
  if (request.externalTrafficPolicyLocal && !endpoints.nodes.has(node)) return "noLocalEndpoints";
  return undefined;
}
