/**
 * MetalLB's speaker refuses a new configuration under which an IP it announces would belong to no
 * pool ("service has no configuration under new config") and keeps the last good one: a pool
 * deleted by mistake must not silence live Services. Once the controller has taken the IP away
 * from the Service, the same configuration is accepted.
 */
import { PoolLocator } from "../allocator/pool-locator.ts";
import { type AnnounceRequest, ingressAddresses } from "../announce/request.ts";
import type { Config } from "../config/types.ts";

export interface OrphanedAnnouncement {
  readonly key: string;
  readonly ips: readonly string[];
}

/** Services this node announces (`announced` keys) whose current IPs no pool of `config` holds. */
export function orphanedAnnouncements(
  requests: readonly AnnounceRequest[],
  announced: ReadonlySet<string> | ReadonlyMap<string, unknown>,
  config: Config,
): OrphanedAnnouncement[] {
  const pools = new PoolLocator(config);
  const orphans: OrphanedAnnouncement[] = [];
  for (const request of requests) {
    if (!announced.has(request.key) || request.ingress !== "ips") continue;
    if (pools.poolFor(ingressAddresses(request)) === undefined)
      orphans.push({ key: request.key, ips: [...request.ips] });
  }
  return orphans;
}

export function orphanMessage(orphan: OrphanedAnnouncement): string {
  return `new configuration refused: service "${orphan.key}" has no configuration under the new configuration (announced IPs ${orphan.ips.join(", ")} are in no IPAddressPool); keeping the last good configuration`;
}
