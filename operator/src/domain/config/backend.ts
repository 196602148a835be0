import { parseCommunity } from "./community-value.ts";
import { type ConfigError, configError } from "./errors.ts";
import { listOf, nameOf, sortedByName } from "./objects.ts";
import type { PoolDraft } from "./pools.ts";
import type { BGPAdvertisementConfig, ClusterResources } from "./types.ts";

/**
 * MetalLB validates differently per BGP backend (METALLB_BGP_TYPE): `native` rejects what only
 * FRR can do (DiscardFRROnly), `frr`/`frr-k8s` reject what only native allows (DiscardNativeOnly).
 * "none" checks neither (MetalLB's DontValidate), for components that only need the pools.
 */
export type BackendValidation = "none" | "native" | "frr";

export function backendErrors(
  validation: BackendValidation,
  resources: ClusterResources,
  pools: readonly PoolDraft[],
  bgpByPool: ReadonlyMap<string, readonly BGPAdvertisementConfig[]>,
): ConfigError[] {
  if (validation === "native") return nativeErrors(resources, pools, bgpByPool);
  if (validation === "frr") return frrErrors(resources);
  return [];
}

const FRR_ONLY_PEER_FIELDS = [
  ["bfdProfile", "bfd-profile"],
  ["vrf", "vrf"],
  ["connectTime", "connect time"],
  ["enableGracefulRestart", "EnableGracefulRestart flag"],
  ["disableMP", "disable MP flag"],
  ["dynamicASN", "dynamicASN"],
  ["interface", "interface"],
  ["localASN", "localASN"],
  ["dualStackAddressFamily", "dualStackAddressFamily"],
] as const;

function nativeErrors(
  resources: ClusterResources,
  pools: readonly PoolDraft[],
  bgpByPool: ReadonlyMap<string, readonly BGPAdvertisementConfig[]>,
): ConfigError[] {
  const errors: ConfigError[] = [];
  for (const peer of sortedByName(resources.bgpPeers)) {
    const spec = peer.spec ?? {};
    for (const [field, label] of FRR_ONLY_PEER_FIELDS) {
      if (spec[field]) {
        errors.push(
          configError(
            "unsupportedByBackend",
            "BGPPeer",
            nameOf(peer),
            `spec.${field}`,
            `${label} is not supported in native bgp mode`,
          ),
        );
      }
    }
    if (spec.keepaliveTime !== undefined && !/^[-+]?0+(\.0*)?[a-zµμ]*$/.test(spec.keepaliveTime)) {
      errors.push(
        configError(
          "unsupportedByBackend",
          "BGPPeer",
          nameOf(peer),
          "spec.keepaliveTime",
          "keepalive-time is not supported in native bgp mode",
        ),
      );
    }
  }
  for (const profile of sortedByName(resources.bfdProfiles)) {
    errors.push(
      configError(
        "unsupportedByBackend",
        "BFDProfile",
        nameOf(profile),
        "",
        "bfd profiles are not supported in native bgp mode",
      ),
    );
  }
  for (const pool of pools) {
    const ads = bgpByPool.get(pool.name) ?? [];
    const v6 = pool.cidrs.find((c) => c.family === "ipv6");
    if (ads.length > 0 && v6 !== undefined) {
      errors.push(
        configError(
          "unsupportedByBackend",
          "BGPAdvertisement",
          ads[0]?.name ?? "",
          "spec.ipAddressPools",
          `pool "${pool.name}" has IPv6 addresses, native bgp mode does not support ipv6`,
        ),
      );
    }
  }
  for (const ad of sortedByName(resources.bgpAdvertisements)) {
    listOf(ad.spec?.communities).forEach((text, i) => {
      const parsed = parseCommunity(text);
      if (parsed.ok && parsed.value.kind === "large") {
        errors.push(
          configError(
            "unsupportedByBackend",
            "BGPAdvertisement",
            nameOf(ad),
            `spec.communities[${i}]`,
            `native BGP mode only supports legacy communities, got "${text}"`,
          ),
        );
      }
    });
  }
  for (const community of sortedByName(resources.communities)) {
    listOf(community.spec?.communities).forEach((alias, i) => {
      const parsed = parseCommunity(String(alias?.value ?? ""));
      if (parsed.ok && parsed.value.kind === "large") {
        errors.push(
          configError(
            "unsupportedByBackend",
            "Community",
            nameOf(community),
            `spec.communities[${i}].value`,
            `native BGP mode only supports legacy communities, got "${alias.value}"`,
          ),
        );
      }
    });
  }
  return errors;
}

function frrErrors(resources: ClusterResources): ConfigError[] {
  const errors: ConfigError[] = [];
  const peers = sortedByName(resources.bgpPeers);
  const first = peers[0];
  const addresses = new Set<string>();
  for (const peer of peers) {
    const spec = peer.spec ?? {};
    const name = nameOf(peer);
    if (first !== undefined && (spec.routerID ?? "") !== (first.spec?.routerID ?? "")) {
      errors.push(
        configError(
          "unsupportedByBackend",
          "BGPPeer",
          name,
          "spec.routerID",
          `routerID differs from peer "${nameOf(first)}": in FRR mode all routerIDs must be equal`,
        ),
      );
    }
    const key = `${spec.peerAddress ?? spec.interface ?? ""}-${spec.vrf ?? ""}`;
    if (addresses.has(key)) {
      errors.push(
        configError(
          "unsupportedByBackend",
          "BGPPeer",
          name,
          "spec.peerAddress",
          `peer ${spec.peerAddress ?? spec.interface} already exists, FRR mode doesn't support duplicate BGPPeers`,
        ),
      );
    }
    addresses.add(key);
    const other = peers.find(
      (p) => p !== peer && (p.spec?.vrf ?? "") === (spec.vrf ?? "") && p.spec?.myASN !== spec.myASN,
    );
    if (other !== undefined && nameOf(other) < name) {
      errors.push(
        configError(
          "unsupportedByBackend",
          "BGPPeer",
          name,
          "spec.myASN",
          `myASN differs from peer "${nameOf(other)}": in FRR mode all myASN must be equal for the same VRF`,
        ),
      );
    }
  }
  return errors;
}
