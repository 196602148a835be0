import { type IPAddress, parseIP } from "../ip/address.ts";
import type { FamilySet } from "../ip/family.ts";
import { err, ok, type Result } from "../ip/result.ts";
import { goQuoteList } from "./go-format.ts";

/**
 * The family set of one or two textual addresses, with the error texts of MetalLB's
 * ipfamily.ForAddresses (they surface in AllocationFailed / LoadBalancerFailed events).
 */
export function familyOfAddresses(texts: readonly string[]): Result<FamilySet> {
  if (texts.length === 1 || texts.length === 2) {
    const parsed = texts.map(parseIP);
    if (parsed.some((a) => a === undefined))
      return err(`IPFamilyForAddresses: Invalid address ${goQuoteList(texts)}`);
    const [first, second] = parsed;
    if (second === undefined) return ok(first!.family);
    if (first!.family === second.family)
      return err(`IPFamilyForAddresses: same address family ${goQuoteList(texts)}`);
    return ok("dual");
  }
  return err(`IPFamilyForAddresses: invalid ips length ${texts.length} ${goQuoteList(texts)}`);
}

/**
 * familyOfAddresses for already-parsed addresses (undefined = unparseable); the texts are only
 * needed, and only built, for the error message.
 */
export function familyOfParsed(
  addresses: readonly (IPAddress | undefined)[],
  texts: () => readonly string[],
): Result<FamilySet> {
  const [first, second] = addresses;
  if (addresses.length === 1 && first !== undefined) return ok(first.family);
  if (
    addresses.length === 2 &&
    first !== undefined &&
    second !== undefined &&
    first.family !== second.family
  ) {
    return ok("dual");
  }
  return familyOfAddresses(texts());
}

export type FamilyPolicy = "SingleStack" | "PreferDualStack" | "RequireDualStack";

/**
 * Whether the IPs a Service holds no longer fit its family (MetalLB serviceFamilyChanged): same
 * set is fine, and a PreferDualStack Service with dual cluster IPs may hold one family only.
 */
export function serviceFamilyChanged(held: FamilySet, cluster: FamilySet, policy: FamilyPolicy): boolean {
  if (held === cluster) return false;
  return !(cluster === "dual" && policy === "PreferDualStack");
}
