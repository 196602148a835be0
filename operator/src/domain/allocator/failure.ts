/**
 * Why an allocation failed, as a typed value: the code says which rule refused, the details name
 * what a user would change (the pool, the IPs, the Service holding a port), and `message` is
 * MetalLB's text, the one the `AllocationFailed` / `ClearAssignment` Events carry. `metalbun
 * explain` reads the code and details; the Events and logs keep reading the message.
 */
import type { IPFamily } from "../ip/family.ts";

export type AllocationFailure =
  /** The Service's cluster IPs have no usable family. */
  | { readonly code: "invalidClusterIPs"; readonly message: string }
  /** metallb.io/loadBalancerIPs or spec.loadBalancerIP does not parse. */
  | { readonly code: "invalidRequestedIPs"; readonly message: string }
  /** The requested IPs' family is not the Service's (its cluster IPs'). */
  | { readonly code: "requestedFamilyMismatch"; readonly message: string; readonly ips: readonly string[] }
  /** The requested (or held) IPs lie in no pool. */
  | { readonly code: "ipNotInAnyPool"; readonly message: string; readonly ips: readonly string[] }
  /** The pool's serviceAllocation does not admit the Service. */
  | { readonly code: "poolNotCompatible"; readonly message: string; readonly pool: string }
  | { readonly code: "tooManyAddresses"; readonly message: string }
  | { readonly code: "sameFamily"; readonly message: string }
  /** The IP is held by other Services whose allow-shared-ip key (or backends) differ. */
  | {
      readonly code: "sharingKeyConflict";
      readonly message: string;
      readonly ip: string;
      readonly services: readonly string[];
    }
  /** The IP is shared, and another Service already uses one of this Service's ports on it. */
  | {
      readonly code: "portInUse";
      readonly message: string;
      readonly ip: string;
      readonly port: string;
      readonly service: string;
    }
  /** The requested IPs are in a pool other than the address-pool annotation's. */
  | { readonly code: "requestedPoolMismatch"; readonly message: string; readonly pool: string }
  /** The address-pool annotation names no pool. */
  | { readonly code: "unknownPool"; readonly message: string; readonly pool: string }
  /** The pool has no free address of the family the Service needs. */
  | {
      readonly code: "poolExhausted";
      readonly message: string;
      readonly pool: string;
      readonly family: IPFamily | "dual";
    }
  /** Automatic assignment found no pool with room; `pools` are the ones it tried, in order. */
  | { readonly code: "noAvailableIPs"; readonly message: string; readonly pools: readonly string[] };

export type AllocationFailureCode = AllocationFailure["code"];

/** Failures that carry only MetalLB's text. */
export function plainFailure(
  code: "invalidClusterIPs" | "invalidRequestedIPs" | "tooManyAddresses" | "sameFamily",
  message: string,
): AllocationFailure {
  return { code, message };
}
