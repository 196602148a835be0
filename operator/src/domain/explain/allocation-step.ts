/**
 * Step 2, allocation: the controller's decision for the Service, in words a user can act on.
 * The failure's code and details come from the allocator itself (allocator/failure.ts); this
 * file only adds what would fix it, such as the usage of the pools that were tried.
 */
import type { ServiceDecision } from "../allocator/decision.ts";
import type { AllocationFailure } from "../allocator/failure.ts";
import type { ConfigError } from "../config/errors.ts";
import { type ControllerView, poolIsFull, poolUsage } from "./controller-view.ts";
import type { Step } from "./verdict.ts";

const ok = (text: string): Step => ({ step: "allocation", verdict: "ok", code: "holdsIPs", text });

function configErrorsText(errors: readonly ConfigError[]): string {
  const first = errors[0];
  if (first === undefined) return "no configuration has been loaded";
  const more = errors.length > 1 ? ` (and ${errors.length - 1} more)` : "";
  return `the configuration is invalid: ${first.kind} ${first.name}: ${first.message}${more}; the controller and speakers keep the last valid one, and no change applies until it is fixed`;
}

function failureText(failure: AllocationFailure, view: ControllerView): string {
  switch (failure.code) {
    case "noAvailableIPs": {
      if (failure.pools.length === 0)
        return "no IP: no IPAddressPool with autoAssign admits this Service (check serviceAllocation and autoAssign)";
      const full = failure.pools.filter((p) => poolIsFull(view.pools.get(p)));
      const described = failure.pools.map((p) => `${p} (${poolUsage(view.pools.get(p))})`).join(", ");
      if (full.length === failure.pools.length)
        return failure.pools.length === 1
          ? `pool ${described} is full: free an IP or add addresses to the pool`
          : `every pool that may serve it is full: ${described}`;
      return `no free IP of the Service's family in the pools it may use: ${described}`;
    }
    case "poolExhausted":
      return `pool ${failure.pool} is full for ${failure.family} (${poolUsage(view.pools.get(failure.pool))}): free an IP or add addresses to the pool`;
    case "ipNotInAnyPool":
      return `the requested IP ${failure.ips.join(", ")} is in no IPAddressPool: add it to a pool or request another IP`;
    case "requestedFamilyMismatch":
      return `the requested IP ${failure.ips.join(", ")} does not match the Service's IP family (its clusterIPs / ipFamilies)`;
    case "sharingKeyConflict":
      return `IP ${failure.ip} is held by ${failure.services.join(", ")}, which cannot share it with this Service (different metallb.io/allow-shared-ip key, or selectors/externalTrafficPolicy differ)`;
    case "portInUse":
      return `sharing IP ${failure.ip} conflicts with Service ${failure.service} on port ${failure.port}`;
    case "unknownPool":
      return `the metallb.io/address-pool annotation names pool ${failure.pool}, which does not exist`;
    case "poolNotCompatible":
      return `pool ${failure.pool}'s serviceAllocation does not admit this Service (namespace or labels)`;
    case "requestedPoolMismatch":
      return `the requested IP is not in pool ${failure.pool}, which the metallb.io/address-pool annotation asks for`;
    default:
      return failure.message;
  }
}

/** Text of the decision's IPs, as `172.18.255.200 from pool my-ippool`. */
export function holding(decision: ServiceDecision): string {
  return `${decision.ips.join(", ")} from pool ${decision.pool ?? "(none)"}`;
}

export function allocationStep(decision: ServiceDecision | undefined, view: ControllerView): Step {
  if (view.config === undefined || decision === undefined)
    return {
      step: "allocation",
      verdict: "fail",
      code: "noConfig",
      text: configErrorsText(view.configErrors),
    };
  const stale =
    view.configErrors.length > 0
      ? ` (but ${configErrorsText(view.configErrors)}; the controller keeps serving the last valid one)`
      : "";
  switch (decision.reason) {
    case "kept":
    case "allocated":
      if (decision.write === undefined) return ok(`holds ${holding(decision)}${stale}`);
      return {
        step: "allocation",
        verdict: "fail",
        code: "assignmentPending",
        text: `the controller would assign ${holding(decision)}, but the Service does not show it yet: is the controller running (and with this --lb-class)?`,
      };
    case "allocationFailed": {
      const failure = decision.failure;
      return {
        step: "allocation",
        verdict: "fail",
        code: failure?.code ?? "noAvailableIPs",
        text: failure === undefined ? (decision.error ?? "allocation failed") : failureText(failure, view),
      };
    }
    case "noPools":
      return { step: "allocation", verdict: "fail", code: "noPools", text: "there is no IPAddressPool" };
    case "noClusterIPs":
      return {
        step: "allocation",
        verdict: "fail",
        code: "noClusterIPs",
        text: "the Service has no cluster IP",
      };
    case "notEnoughClusterIPs":
      return {
        step: "allocation",
        verdict: "fail",
        code: "notEnoughClusterIPs",
        text: "RequireDualStack, but the Service has fewer than two cluster IPs",
      };
    case "invalidClusterIPs":
      return {
        step: "allocation",
        verdict: "fail",
        code: "invalidClusterIPs",
        text: "the Service's cluster IPs have no usable IP family",
      };
    case "invalidRequestedIPs":
      return {
        step: "allocation",
        verdict: "fail",
        code: "invalidRequestedIPs",
        text: `the requested IPs do not parse: ${decision.events.find((e) => e.reason === "LoadBalancerFailed")?.message ?? ""}`,
      };
    // Not ours: the "ours" step already says so; allocation is not the controller's business.
    case "loadBalancerClassMismatch":
    case "notLoadBalancer":
      return { step: "allocation", verdict: "skip", code: "holdsIPs", text: "not ours to allocate" };
  }
}
