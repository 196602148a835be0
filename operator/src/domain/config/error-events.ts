/**
 * metalbun's Warning Event `ConfigurationError` on each object an invalid configuration names
 * (MetalLB reports only on its ConfigurationState; the Event puts the error where `kubectl
 * describe` of the offending object shows it). Objects without a uid cannot carry Events.
 */
import type { ObjectMeta } from "../api/object-meta.ts";
import type { ConfigError } from "./errors.ts";
import type { ClusterResources } from "./types.ts";

export interface ConfigErrorEvent {
  readonly about: { readonly kind: string; readonly apiVersion?: string; readonly metadata: ObjectMeta };
  readonly type: "Warning";
  readonly reason: "ConfigurationError";
  readonly message: string;
}

interface Named {
  readonly apiVersion?: string;
  readonly metadata: ObjectMeta;
}

export function configErrorEvents(
  errors: readonly ConfigError[],
  resources: ClusterResources,
): ConfigErrorEvent[] {
  const objects = new Map<string, ConfigErrorEvent["about"]>();
  const add = (kind: string, list: readonly Named[] | undefined) => {
    for (const o of list ?? []) objects.set(`${kind}/${o.metadata?.name}`, { ...o, kind });
  };
  add("IPAddressPool", resources.ipAddressPools);
  add("L2Advertisement", resources.l2Advertisements);
  add("BGPAdvertisement", resources.bgpAdvertisements);
  add("BGPPeer", resources.bgpPeers);
  add("BFDProfile", resources.bfdProfiles);
  add("Community", resources.communities);
  return errors.flatMap((e) => {
    const about = objects.get(`${e.kind}/${e.name}`);
    return about?.metadata?.uid
      ? [{ about, type: "Warning" as const, reason: "ConfigurationError" as const, message: e.message }]
      : [];
  });
}
