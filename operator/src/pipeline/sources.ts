/**
 * The list+watch sources both components share, each folded into a store: the cluster-wide
 * Services and Namespaces, and the six metallb.io kinds in the operator's namespace.
 */
import type { Observable } from "rxjs";
import type { BFDProfile } from "../domain/api/bfd-profile.ts";
import type { BGPAdvertisement } from "../domain/api/bgp-advertisement.ts";
import type { BGPPeer } from "../domain/api/bgp-peer.ts";
import type { Community } from "../domain/api/community.ts";
import type { Namespace, Service } from "../domain/api/core.ts";
import type { IPAddressPool } from "../domain/api/ip-address-pool.ts";
import type { L2Advertisement } from "../domain/api/l2-advertisement.ts";
import type { KubeClient } from "../kube/client.ts";
import { resources } from "../kube/resource.ts";
import { type ReflectOptions, reflect } from "../kube/store.ts";
import { trimEvents } from "../kube/trim.ts";
import type { KubeObject } from "../kube/types.ts";
import { listWatch$, type RetryInfo, type WatchEvent } from "../kube/watch.ts";
import type { SnapshotOf } from "./snapshot.ts";

/** A store of what a watch delivers, without the bookkeeping fields nothing reads (kube/trim.ts). */
export const store = <T extends KubeObject>(
  events$: Observable<WatchEvent<T>>,
  options: ReflectOptions<T> = {},
) => events$.pipe(trimEvents<T>(), reflect<T>(options));

export interface SharedSourceOptions {
  /**
   * `limit` of the Services list pages (default 500, as client-go). The controller, which must see
   * every Service before its first decision, lists 10k in 2 pages instead of 20 round trips.
   */
  readonly servicesPageSize?: number;
  /** Keep the Services store's change log (ReflectOptions.changeLog): the controller diffs snapshots. */
  readonly servicesChangeLog?: boolean;
  /** Copy the Services store ahead of its next change (ReflectOptions.spareCopy): the controller's path. */
  readonly servicesSpareCopy?: boolean;
  /** The Services store's consumer-paced spacing (ReflectOptions.minSpacingMs). */
  readonly servicesMinSpacingMs?: () => number;
  /** Told of every retry of a list+watch, by resource (pipeline/reporting.ts watchRetryReporter). */
  readonly onRetry?: WatchRetryHook;
}

export type WatchRetryHook = (resource: string) => (info: RetryInfo) => void;

export function sharedSources(client: KubeClient, namespace: string, options: SharedSourceOptions = {}) {
  const retry = (resource: string) => ({ onRetry: options.onRetry?.(resource) });
  return {
    services: store(
      listWatch$<Service & KubeObject>(client, resources.services, {
        pageSize: options.servicesPageSize,
        ...retry("services"),
      }),
      {
        changeLog: options.servicesChangeLog,
        spareCopy: options.servicesSpareCopy,
        minSpacingMs: options.servicesMinSpacingMs,
      },
    ),
    namespaces: store(listWatch$<Namespace & KubeObject>(client, resources.namespaces, retry("namespaces"))),
    ipAddressPools: store(
      listWatch$<IPAddressPool>(client, resources.ipAddressPools, { namespace, ...retry("ipaddresspools") }),
    ),
    l2Advertisements: store(
      listWatch$<L2Advertisement>(client, resources.l2Advertisements, {
        namespace,
        ...retry("l2advertisements"),
      }),
    ),
    bgpAdvertisements: store(
      listWatch$<BGPAdvertisement>(client, resources.bgpAdvertisements, {
        namespace,
        ...retry("bgpadvertisements"),
      }),
    ),
    bgpPeers: store(listWatch$<BGPPeer>(client, resources.bgpPeers, { namespace, ...retry("bgppeers") })),
    bfdProfiles: store(
      listWatch$<BFDProfile>(client, resources.bfdProfiles, { namespace, ...retry("bfdprofiles") }),
    ),
    communities: store(
      listWatch$<Community>(client, resources.communities, { namespace, ...retry("communities") }),
    ),
  };
}

/** The shared stores' objects as the reconcilers' input arrays (the configuration kinds). */
export function configurationInputs(
  snapshot: SnapshotOf<Omit<ReturnType<typeof sharedSources>, "services">>,
) {
  return {
    namespaces: [...snapshot.namespaces.values()],
    ipAddressPools: [...snapshot.ipAddressPools.values()],
    l2Advertisements: [...snapshot.l2Advertisements.values()],
    bgpAdvertisements: [...snapshot.bgpAdvertisements.values()],
    bgpPeers: [...snapshot.bgpPeers.values()],
    bfdProfiles: [...snapshot.bfdProfiles.values()],
    communities: [...snapshot.communities.values()],
  };
}
