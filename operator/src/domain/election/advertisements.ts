/**
 * The L2Advertisements that apply to one Service: those attached to its pool (by ipAddressPools
 * names or ipAddressPoolSelectors, resolved by parseConfig) whose serviceSelectors are empty or
 * match the Service's labels. MetalLB 0.16.0 filters by serviceSelectors *before* the election,
 * so an advertisement that does not cover a Service never widens its candidate set.
 */
import type { L2AdvertisementConfig, Pool } from "../config/types.ts";
import { anySelectorMatches, type Labels } from "../selector/label-selector.ts";

export function l2AdvertisementsFor(pool: Pool, serviceLabels: Labels): readonly L2AdvertisementConfig[] {
  // Most pools have no serviceSelectors: the pool's own list, not a copy per Service and run.
  if (pool.l2Advertisements.every((ad) => ad.serviceSelectors.length === 0)) return pool.l2Advertisements;
  return pool.l2Advertisements.filter(
    (ad) => ad.serviceSelectors.length === 0 || anySelectorMatches(ad.serviceSelectors, serviceLabels),
  );
}
