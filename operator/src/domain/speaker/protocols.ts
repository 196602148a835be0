/**
 * Which protocols the configuration in use asks of a speaker at all. A protocol nothing asks for
 * costs nothing: no BGP decisions without a BGPAdvertisement, and no Layer 2 sockets (nor their
 * receive Worker) without an L2Advertisement. An advertisement counts once it applies to a pool,
 * whatever its node selectors: every speaker of a Layer 2 cluster keeps its sockets open, so a
 * node that owns nothing answers at once when it takes over.
 */
import type { Config } from "../config/types.ts";

export function hasL2Advertisements(config: Config | undefined): boolean {
  if (config === undefined) return false;
  for (const pool of config.pools.byName.values()) if (pool.l2Advertisements.length > 0) return true;
  return false;
}

export function hasBgpAdvertisements(config: Config | undefined): boolean {
  if (config === undefined) return false;
  for (const pool of config.pools.byName.values()) if (pool.bgpAdvertisements.length > 0) return true;
  return false;
}
