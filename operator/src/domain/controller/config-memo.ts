/**
 * parseConfig again only when a configuration object changed. The pipeline rebuilds its input
 * arrays on every snapshot, but the store keeps each unchanged object's identity, so comparing
 * the elements is enough. Keeping the same Config object is also what tells the incremental
 * allocation (service-book.ts) that the configuration did not change.
 */
import { type ConfigResult, parseConfig } from "../config/parse-config.ts";
import type { ClusterResources } from "../config/types.ts";
import type { ControllerInputs } from "./inputs.ts";

export interface ConfigMemo {
  readonly resources: ClusterResources;
  readonly result: ConfigResult;
}

function sameElements(a: readonly unknown[] | undefined, b: readonly unknown[] | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

const KINDS = [
  "ipAddressPools",
  "l2Advertisements",
  "bgpAdvertisements",
  "bgpPeers",
  "bfdProfiles",
  "communities",
  "namespaces",
] as const;

/** The controller's configuration, parsed, reusing `memo` when every object is the same. */
export function parseConfigMemo(inputs: ControllerInputs, memo: ConfigMemo | undefined): ConfigMemo {
  if (memo !== undefined && KINDS.every((k) => sameElements(inputs[k], memo.resources[k]))) return memo;
  const resources: ClusterResources = {
    ipAddressPools: inputs.ipAddressPools,
    l2Advertisements: inputs.l2Advertisements,
    bgpAdvertisements: inputs.bgpAdvertisements,
    bgpPeers: inputs.bgpPeers,
    bfdProfiles: inputs.bfdProfiles,
    communities: inputs.communities,
    namespaces: inputs.namespaces,
  };
  return { resources, result: parseConfig(resources) };
}
