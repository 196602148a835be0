import { parseBGPAdvertisements, parseL2Advertisements } from "./advertisements.ts";
import { type BackendValidation, backendErrors } from "./backend.ts";
import { parseBFDProfiles } from "./bfd-profiles.ts";
import { parseCommunityAliases } from "./communities.ts";
import { type ConfigError, configError } from "./errors.ts";
import { parsePeers } from "./peers.ts";
import { indexPools, parsePools } from "./pools.ts";
import type {
  BFDProfileConfig,
  BGPAdvertisementConfig,
  ClusterResources,
  Config,
  PeerConfig,
  Pool,
} from "./types.ts";

export interface ParseOptions {
  /** Which BGP backend's rules apply on top of the common ones (default "none"). */
  readonly backend?: BackendValidation;
}

export type ConfigResult =
  | { readonly ok: true; readonly config: Config }
  | { readonly ok: false; readonly errors: readonly ConfigError[] };

/**
 * Raw metallb.io objects (+ Namespaces and Nodes) -> a validated Config, or every error found.
 * The equivalent of MetalLB's config.For, but it reports all problems instead of the first one.
 * A configuration with any error (transient ones included) is invalid as a whole: callers keep
 * serving the last good Config, exactly like MetalLB ("failed to parse the configuration").
 *
 * Pure and deterministic: every kind is walked in name order. The controller, which only
 * allocates, can pass just the pools and namespaces (MetalLB's controller parses only those).
 */
export function parseConfig(resources: ClusterResources, options: ParseOptions = {}): ConfigResult {
  const bfd = parseBFDProfiles(resources.bfdProfiles);
  const aliases = parseCommunityAliases(resources.communities);
  const peers = parsePeers(resources.bgpPeers, bfd.profiles);
  const pools = parsePools(resources.ipAddressPools, resources.namespaces);
  const l2 = parseL2Advertisements(resources.l2Advertisements, pools.pools, resources.nodes);
  const bgp = parseBGPAdvertisements(
    resources.bgpAdvertisements,
    pools.pools,
    resources.nodes,
    aliases.aliases,
  );
  const errors = [
    ...bfd.errors,
    ...aliases.errors,
    ...peers.errors,
    ...pools.errors,
    ...l2.errors,
    ...bgp.errors,
    ...bfdEchoErrors(pools.pools, bgp.byPool, peers.peers, bfd.profiles),
    ...backendErrors(options.backend ?? "none", resources, pools.pools, bgp.byPool),
  ];
  if (errors.length > 0) return { ok: false, errors };
  const full: Pool[] = pools.pools.map((p) => ({
    ...p,
    l2Advertisements: l2.byPool.get(p.name) ?? [],
    bgpAdvertisements: bgp.byPool.get(p.name) ?? [],
  }));
  return { ok: true, config: { pools: indexPools(full), peers: peers.peers, bfdProfiles: bfd.profiles } };
}

/** BFD echo mode cannot run with IPv6 advertisements (MetalLB validateConfig). */
function bfdEchoErrors(
  pools: readonly { name: string; cidrs: readonly { family: string }[] }[],
  bgpByPool: ReadonlyMap<string, readonly BGPAdvertisementConfig[]>,
  peers: ReadonlyMap<string, PeerConfig>,
  profiles: ReadonlyMap<string, BFDProfileConfig>,
): ConfigError[] {
  const errors: ConfigError[] = [];
  const echo = (peer: PeerConfig | undefined) =>
    peer?.bfdProfile !== undefined && profiles.get(peer.bfdProfile)?.echoMode === true;
  for (const pool of pools) {
    if (!pool.cidrs.some((c) => c.family === "ipv6")) continue;
    for (const ad of bgpByPool.get(pool.name) ?? []) {
      const targets = ad.peers.length === 0 ? [...peers.values()] : ad.peers.map((n) => peers.get(n));
      const peer = targets.find(echo);
      if (peer !== undefined) {
        errors.push(
          configError(
            "bfdEchoWithIPv6",
            "BGPAdvertisement",
            ad.name,
            "spec.peers",
            `pool ${pool.name} has bgpadvertisement ${ad.name} which references peer ${peer.name} which has bfd echo enabled, which is not possible`,
          ),
        );
      }
    }
  }
  return errors;
}
