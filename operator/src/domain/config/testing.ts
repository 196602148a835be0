import type { BFDProfile, BFDProfileSpec } from "../api/bfd-profile.ts";
import type { BGPAdvertisement, BGPAdvertisementSpec } from "../api/bgp-advertisement.ts";
import type { BGPPeer, BGPPeerSpec } from "../api/bgp-peer.ts";
import type { Community, CommunityAlias } from "../api/community.ts";
import type { Namespace, Node } from "../api/core.ts";
import type { IPAddressPool, IPAddressPoolSpec } from "../api/ip-address-pool.ts";
import type { L2Advertisement, L2AdvertisementSpec } from "../api/l2-advertisement.ts";
import { parseConfig } from "./parse-config.ts";
import type { ClusterResources, Config } from "./types.ts";

/** Builders for tests (here and in allocator/): raw objects as the apiserver would return them. */
const meta = (name: string, labels?: Record<string, string>) => ({
  name,
  namespace: "metallb-system",
  labels,
});

export function aPool(
  name: string,
  spec: Partial<IPAddressPoolSpec>,
  labels?: Record<string, string>,
): IPAddressPool {
  return {
    apiVersion: "metallb.io/v1beta1",
    kind: "IPAddressPool",
    metadata: meta(name, labels),
    spec: { addresses: [], ...spec },
  };
}

export function anL2Ad(name: string, spec: L2AdvertisementSpec = {}): L2Advertisement {
  return { apiVersion: "metallb.io/v1beta1", kind: "L2Advertisement", metadata: meta(name), spec };
}

export function aBGPAd(name: string, spec: BGPAdvertisementSpec = {}): BGPAdvertisement {
  return { apiVersion: "metallb.io/v1beta1", kind: "BGPAdvertisement", metadata: meta(name), spec };
}

export function aPeer(name: string, spec: Partial<BGPPeerSpec>): BGPPeer {
  return {
    apiVersion: "metallb.io/v1beta2",
    kind: "BGPPeer",
    metadata: meta(name),
    spec: { myASN: 64512, peerASN: 64513, peerAddress: "172.18.0.5", ...spec },
  };
}

export function aBFDProfile(name: string, spec: BFDProfileSpec = {}): BFDProfile {
  return { apiVersion: "metallb.io/v1beta1", kind: "BFDProfile", metadata: meta(name), spec };
}

export function aCommunity(name: string, communities: CommunityAlias[]): Community {
  return { apiVersion: "metallb.io/v1beta1", kind: "Community", metadata: meta(name), spec: { communities } };
}

export function aNamespace(name: string, labels?: Record<string, string>): Namespace {
  return { metadata: { name, labels } };
}

export function aNode(name: string, labels?: Record<string, string>): Node {
  return { metadata: { name, labels } };
}

/** A Config from resources that must be valid (throws otherwise: test helper only). */
export function validConfig(resources: ClusterResources): Config {
  const result = parseConfig(resources);
  if (!result.ok) throw new Error(result.errors.map((e) => e.message).join("\n"));
  return result.config;
}
