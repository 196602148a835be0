/**
 * Who keeps a shared IP when its holders can no longer share it.
 *
 * MetalLB's allocator is stateful: when one of two Services sharing an IP is edited (its selector
 * under externalTrafficPolicy Local, its ports, its sharing key), the allocator still holds the
 * other one's claim, so the edited Service's re-Assign fails the sharing check and only it is
 * cleared (ClearAssignment "... address also in use by ..."). Our plan is a function of the whole
 * cluster, so it needs that memory as an input: the "claim" each sharing Service last held its
 * IPs under. A holder whose sharing inputs and IPs still match its claim is an incumbent and is
 * settled before the others, whatever the names; without claims (a controller restart) the
 * plan's own order decides, as in MetalLB, whose order is unspecified there too.
 */
import type { AllocationRequest } from "./request.ts";

/** Service key -> the claim it last held its IPs under. */
export type Claims = ReadonlyMap<string, string>;

/** The fields the sharing rules compare, and the IPs held under them, as one comparable string. */
export function claimOf(
  service: Pick<AllocationRequest, "sharingKey" | "backendKey" | "ports">,
  ips: readonly string[],
): string {
  return [service.sharingKey, service.backendKey, [...service.ports].sort().join(","), ips.join(",")].join(
    "\u0000",
  );
}

/**
 * The claim to remember for a Service that ends a plan holding `ips`, or undefined when none is
 * needed: only Services with a sharing key can hold an IP together with another one.
 */
export function claimToRecord(service: AllocationRequest, ips: readonly string[]): string | undefined {
  if (service.sharingKey === "" || ips.length === 0) return undefined;
  return claimOf(service, ips);
}

/** The Service holds its IPs under the same sharing inputs as when it was last planned. */
export function isIncumbent(service: AllocationRequest, claims: Claims | undefined): boolean {
  if (claims === undefined || service.current.ingressIPs.length === 0) return false;
  const claim = claims.get(service.key);
  return claim !== undefined && claim === claimOf(service, service.current.ingressIPs);
}
