/**
 * The controller's decisions on a snapshot: the controller's own reconciler run from a fresh
 * state, as a restarted controller would run it. Holders are settled first, so on a cluster at
 * rest this is exactly what the running controller decided; a difference between a decision and
 * what a Service carries is itself a finding ("assignment pending").
 */
import type { PoolCounters, ServiceDecision } from "../allocator/decision.ts";
import type { ConfigError } from "../config/errors.ts";
import type { Config } from "../config/types.ts";
import { initialControllerState, reconcileController } from "../controller/reconcile.ts";
import type { ExplainOptions, ExplainSnapshot } from "./snapshot.ts";

export interface ControllerView {
  /** undefined: the configuration does not parse (nothing can be decided from it). */
  readonly config: Config | undefined;
  readonly configErrors: readonly ConfigError[];
  readonly decisions: ReadonlyMap<string, ServiceDecision>;
  readonly pools: ReadonlyMap<string, PoolCounters>;
}

export function controllerViewOf(snapshot: ExplainSnapshot, options: ExplainOptions): ControllerView {
  const outcome = reconcileController(
    {
      services: snapshot.services,
      namespaces: snapshot.namespaces,
      ipAddressPools: snapshot.ipAddressPools,
      l2Advertisements: snapshot.l2Advertisements,
      bgpAdvertisements: snapshot.bgpAdvertisements,
      bgpPeers: snapshot.bgpPeers,
      bfdProfiles: snapshot.bfdProfiles,
      communities: snapshot.communities,
    },
    initialControllerState,
    { loadBalancerClass: options.loadBalancerClass, now: options.now },
  );
  return {
    config: outcome.configLoaded ? outcome.state.lastGoodConfig : undefined,
    configErrors: outcome.configErrors,
    decisions: new Map(outcome.decisions.map((d) => [d.key, d])),
    pools: outcome.pools,
  };
}

/** "3 of 3 IPv4 addresses used", per family the pool has. */
export function poolUsage(counters: PoolCounters | undefined): string {
  if (counters === undefined) return "usage unknown";
  const parts: string[] = [];
  const v4 = counters.assignedIPv4 + counters.availableIPv4;
  const v6 = counters.assignedIPv6 + counters.availableIPv6;
  if (v4 > 0) parts.push(`${counters.assignedIPv4} of ${v4} IPv4 addresses used`);
  if (v6 > 0) parts.push(`${counters.assignedIPv6} of ${v6} IPv6 addresses used`);
  return parts.length === 0 ? "no usable address" : parts.join(", ");
}

/** No address of any family left. */
export function poolIsFull(counters: PoolCounters | undefined): boolean {
  return counters !== undefined && counters.availableIPv4 === 0 && counters.availableIPv6 === 0;
}
