/**
 * Which IPAddressPools need their `status` counters written: those whose observed status differs
 * from what the allocator counts now (only pools that exist as objects).
 */
import type { PoolCounters } from "../allocator/decision.ts";
import type { IPAddressPool } from "../api/ip-address-pool.ts";

export function poolsNeedingStatus(
  counted: ReadonlyMap<string, PoolCounters>,
  observed: Iterable<IPAddressPool>,
): Array<[string, PoolCounters]> {
  const byName = new Map([...observed].map((p) => [p.metadata.name ?? "", p]));
  return [...counted].filter(([name, counters]) => {
    const status = byName.get(name)?.status as Record<string, unknown> | undefined;
    return (
      byName.has(name) &&
      (status?.assignedIPv4 !== counters.assignedIPv4 ||
        status?.assignedIPv6 !== counters.assignedIPv6 ||
        status?.availableIPv4 !== counters.availableIPv4 ||
        status?.availableIPv6 !== counters.availableIPv6)
    );
  });
}
