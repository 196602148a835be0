import type { Pool } from "../config/types.ts";
import { COUNT_CAP, jsonSafeCount } from "../ip/count.ts";
import type { PoolCounters } from "./decision.ts";

/**
 * IPAddressPool.status counters (MetalLB PoolCounters): addresses in use and addresses left,
 * per family. A pool with an IPv6 prefix of 62+ host bits counts as unlimited, which MetalLB
 * writes as MaxInt64; we write COUNT_CAP (2^53 - 1) instead, the largest integer JSON carries
 * exactly, and keep "available = cap - assigned" as MetalLB does.
 */
export function poolCounters(pool: Pool, inUse: { ipv4: number; ipv6: number }): PoolCounters {
  const capacityV6 = pool.capacity.ipv6Enormous ? BigInt(COUNT_CAP) : pool.capacity.ipv6;
  return {
    assignedIPv4: inUse.ipv4,
    assignedIPv6: inUse.ipv6,
    availableIPv4: jsonSafeCount(pool.capacity.ipv4 - BigInt(inUse.ipv4)),
    availableIPv6: jsonSafeCount(capacityV6 - BigInt(inUse.ipv6)),
  };
}
