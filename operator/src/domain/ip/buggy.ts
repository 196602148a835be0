import type { IPAddress } from "./address.ts";
import type { Cidr } from "./cidr.ts";
import { cidrSize } from "./cidr.ts";

/**
 * MetalLB's `avoidBuggyIPs` rule: IPv4 addresses ending in .0 or .255 are skipped, because the
 * smurf protection of some consumer routers drops traffic to them. IPv6 is never affected.
 */
export function isBuggyIP(address: IPAddress): boolean {
  if (address.family !== "ipv4") return false;
  const last = address.value & 255n;
  return last === 0n || last === 255n;
}

/** How many addresses in [0, x] end in .0 or .255 (x >= -1). */
function buggyUpTo(x: bigint): bigint {
  if (x < 0n) return 0n;
  return (x / 256n) * 2n + 1n + (x % 256n === 255n ? 1n : 0n);
}

/**
 * The number of buggy addresses in an IPv4 prefix, exactly. (MetalLB's own counter subtracts
 * two for a /32 that ends in .0, going negative; we count the one address once.)
 */
export function buggyCount(cidr: Cidr): bigint {
  if (cidr.family !== "ipv4") return 0n;
  const last = cidr.network + cidrSize(cidr) - 1n;
  return buggyUpTo(last) - buggyUpTo(cidr.network - 1n);
}
