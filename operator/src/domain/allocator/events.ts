import { goList, goQuote, goQuoteList } from "./go-format.ts";

/**
 * The Events MetalLB's controller emits on a Service, with its exact reasons and message formats
 * (controller/service.go, controller/main.go). Normal = client.Infof, Warning = client.Errorf.
 */
export type EventReason =
  | "IPAllocated"
  | "AllocationFailed"
  | "ClearAssignment"
  | "LoadBalancerFailed"
  | "AdditionalAssignFailed"
  | "not enough clusterips"
  | "nolbIPsIPFamily"
  | "noclusterIPsIPFamily"
  | "deprecatedAnnotation";

export interface ServiceEvent {
  readonly type: "Normal" | "Warning";
  readonly reason: EventReason;
  readonly message: string;
}

/** `Assigned IP ["172.18.255.200"]`: MetalLB formats the IP list with %q, brackets included. */
export function ipAllocated(ips: readonly string[]): ServiceEvent {
  return { type: "Normal", reason: "IPAllocated", message: `Assigned IP ${goQuoteList(ips)}` };
}

export function additionalIPAllocated(ip: string): ServiceEvent {
  return { type: "Normal", reason: "IPAllocated", message: `Assigned additional IP ${goQuote(ip)}` };
}

export function allocationFailed(key: string, error: string): ServiceEvent {
  return {
    type: "Warning",
    reason: "AllocationFailed",
    message: `Failed to allocate IP for ${goQuote(key)}: ${error}`,
  };
}

export function clearAssignment(key: string, error: string): ServiceEvent {
  return {
    type: "Normal",
    reason: "ClearAssignment",
    message: `current IP for ${goQuote(key)} not allowed by config, will attempt for new IP assignment: ${error}`,
  };
}

export function loadBalancerFailed(error: string): ServiceEvent {
  return {
    type: "Warning",
    reason: "LoadBalancerFailed",
    message: `invalid requested loadbalancer IPs: ${error}`,
  };
}

export function additionalAssignFailed(error: string): ServiceEvent {
  return {
    type: "Normal",
    reason: "AdditionalAssignFailed",
    message: `cannot assign additional IP in PreferDualStack: ${error}`,
  };
}

export function notEnoughClusterIPs(clusterIPs: readonly string[]): ServiceEvent {
  return {
    type: "Warning",
    reason: "not enough clusterips",
    message: `Service requires dual stack but not enough clusterips ${goList(clusterIPs)}`,
  };
}

export function noLBIPsFamily(ips: readonly string[], error: string): ServiceEvent {
  return {
    type: "Warning",
    reason: "nolbIPsIPFamily",
    message: `Failed to retrieve LBIPs IPFamily for ${goQuoteList(ips)}: ${error}`,
  };
}

export function noClusterIPsFamily(
  clusterIPs: readonly string[],
  clusterIP: string,
  error: string,
): ServiceEvent {
  return {
    type: "Warning",
    reason: "noclusterIPsIPFamily",
    message: `Failed to retrieve ClusterIPs IPFamily for ${goQuoteList(clusterIPs)} ${clusterIP}: ${error}`,
  };
}

export function deprecatedAnnotation(key: string): ServiceEvent {
  return {
    type: "Warning",
    reason: "deprecatedAnnotation",
    message: `Service uses deprecated annotation ${key}`,
  };
}
