import { buggyCount } from "./buggy.ts";
import { type Cidr, cidrSize } from "./cidr.ts";
import { familyBits } from "./family.ts";

/** The addresses a pool can hand out from this prefix: all of them, minus buggy ones if avoided. */
export function usableCount(cidr: Cidr, avoidBuggyIPs: boolean): bigint {
  return cidrSize(cidr) - (avoidBuggyIPs ? buggyCount(cidr) : 0n);
}

/**
 * MetalLB treats any prefix with 62 or more host bits as "will never run out" and reports the
 * int64 maximum for it (allocator.go poolCount).
 */
export const ENORMOUS_HOST_BITS = 62;

export function isEnormous(cidr: Cidr): boolean {
  return familyBits(cidr.family) - cidr.prefix >= ENORMOUS_HOST_BITS;
}

/**
 * The cap for counts written to IPAddressPool status and metrics. MetalLB writes MaxInt64
 * (9223372036854775807) for enormous pools; a JS number cannot carry that exactly, and
 * JSON.stringify would print 9223372036854776000, which is above int64 and rejected by the
 * apiserver. So we cap at 2^53 - 1, the largest integer a JSON number round-trips exactly in
 * every client: any pool at least that large is "unlimited" for all practical purposes.
 */
export const COUNT_CAP = Number.MAX_SAFE_INTEGER;

/** A bigint count as a JSON-safe number, capped at COUNT_CAP. */
export function jsonSafeCount(count: bigint): number {
  if (count <= 0n) return 0;
  return count >= BigInt(COUNT_CAP) ? COUNT_CAP : Number(count);
}
