import type { Config, Pool } from "../config/types.ts";
import { anySelectorMatches } from "../selector/label-selector.ts";
import type { AllocationRequest } from "./request.ts";

/**
 * Whether a pool's serviceAllocation admits the Service (MetalLB isPoolCompatibleWithService):
 * its namespace must be among the pool's namespaces when those are restricted, and its labels
 * must match one of the serviceSelectors when there are any. Pools without serviceAllocation
 * admit everyone.
 */
export function poolAdmits(pool: Pool, service: AllocationRequest): boolean {
  const allocation = pool.serviceAllocation;
  if (allocation === undefined) return true;
  if (allocation.namespaces !== undefined && !allocation.namespaces.has(service.namespace)) return false;
  if (allocation.serviceSelectors.length > 0)
    return anySelectorMatches(allocation.serviceSelectors, service.labels);
  return true;
}

/**
 * The pools pinned to this Service, in the order they are tried (MetalLB pinnedPoolsForService):
 * autoAssign pools whose serviceAllocation (namespace or service selectors) matches the Service,
 * lower priority first and priority 0 ("none") last. MetalLB leaves ties unordered (an unstable
 * sort); we break them by pool name so the result never depends on map order.
 */
export function pinnedPoolsFor(config: Config, service: AllocationRequest): Pool[] {
  const names = new Set([
    ...(config.pools.byNamespace.get(service.namespace) ?? []),
    ...config.pools.byServiceSelector,
  ]);
  const pools: Pool[] = [];
  for (const name of names) {
    const pool = config.pools.byName.get(name);
    if (pool?.autoAssign && poolAdmits(pool, service)) pools.push(pool);
  }
  return pools.sort(comparePinned);
}

function comparePinned(a: Pool, b: Pool): number {
  const pa = a.serviceAllocation?.priority ?? 0;
  const pb = b.serviceAllocation?.priority ?? 0;
  if (pa !== pb) {
    if (pa === 0) return 1;
    if (pb === 0) return -1;
    return pa - pb;
  }
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

/**
 * The fallback pools for automatic allocation: autoAssign pools without serviceAllocation.
 * MetalLB iterates them in Go map order, i.e. it picks one at random each time. We walk them in
 * pool-name order, so the same cluster state always yields the same assignment (and the
 * README can say which pool an unpinned Service will get: the first by name with room).
 */
export function generalPools(config: Config): Pool[] {
  return [...config.pools.byName.values()].filter((p) => p.autoAssign && p.serviceAllocation === undefined);
}
