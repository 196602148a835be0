/**
 * Address families. The names are MetalLB's own (`ipfamily.IPv4 = "ipv4"`, `IPv6 = "ipv6"`,
 * `DualStack = "dual"`) because they appear verbatim in its error messages
 * ("no available IPs in pool X for ipv4 IPFamily").
 */
export type IPFamily = "ipv4" | "ipv6";

/** A set of families a Service asks for: one, or both ("dual"). */
export type FamilySet = IPFamily | "dual";

export const IPV4_BITS = 32;
export const IPV6_BITS = 128;

/** The number of bits in an address of this family. */
export function familyBits(family: IPFamily): number {
  return family === "ipv4" ? IPV4_BITS : IPV6_BITS;
}

/** The other family (for "add the missing family" in PreferDualStack). */
export function otherFamily(family: IPFamily): IPFamily {
  return family === "ipv4" ? "ipv6" : "ipv4";
}
