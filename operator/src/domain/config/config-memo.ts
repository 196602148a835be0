/**
 * parseConfig again only when a configuration object changed (controller and speaker). The pipeline rebuilds its input
 * arrays on every snapshot, but the store keeps each unchanged object's identity, so comparing
 * the elements is enough. Keeping the same Config object is also what tells the incremental
 * allocation (service-book.ts) that the configuration did not change.
 */
import { type ConfigResult, parseConfig } from "./parse-config.ts";
import type { ClusterResources } from "./types.ts";

export interface ConfigMemo {
  readonly resources: ClusterResources;
  readonly result: ConfigResult;
}

/** The same arrays element by element (identity): how memos tell that store objects did not change. */
export function sameElements(a: readonly unknown[] | undefined, b: readonly unknown[] | undefined): boolean {
  if (a === b) return true;
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

interface ConfigObject {
  readonly metadata?: {
    readonly name?: string;
    readonly namespace?: string;
    readonly labels?: unknown;
    readonly annotations?: unknown;
    readonly deletionTimestamp?: unknown;
  };
  readonly spec?: unknown;
}

const fingerprints = new WeakMap<object, string>();

/**
 * What of an object the configuration is made of: its name, labels (pool and namespace
 * selectors), annotations and spec. Not its status or resourceVersion: the controller's own pool
 * status writes change every IPAddressPool after each allocation, and a reparse on each of them
 * would hand the allocation a new Config, forcing a full plan of every Service.
 */
function fingerprintOf(o: unknown): string {
  if (typeof o !== "object" || o === null) return JSON.stringify(o) ?? "";
  let print = fingerprints.get(o);
  if (print === undefined) {
    const { metadata, spec } = o as ConfigObject;
    print = JSON.stringify([
      metadata?.name,
      metadata?.namespace,
      metadata?.labels,
      metadata?.annotations,
      metadata?.deletionTimestamp,
      spec,
    ]);
    fingerprints.set(o, print);
  }
  return print;
}

/** Same objects, or objects that differ only outside what a configuration is made of. */
function sameConfiguration(a: readonly unknown[] | undefined, b: readonly unknown[] | undefined): boolean {
  if (sameElements(a, b)) return true;
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++)
    if (a[i] !== b[i] && fingerprintOf(a[i]) !== fingerprintOf(b[i])) return false;
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
  "nodes",
] as const;

/** The controller's configuration, parsed, reusing `memo` when every object is the same. */
export function parseConfigMemo(inputs: ClusterResources, memo: ConfigMemo | undefined): ConfigMemo {
  if (memo !== undefined && KINDS.every((k) => sameElements(inputs[k], memo.resources[k]))) return memo;
  if (memo !== undefined && KINDS.every((k) => sameConfiguration(inputs[k], memo.resources[k]))) {
    // The same configuration: keep the parsed result (and so the Config's identity), remember the
    // new objects so the next comparison is by identity again.
    return { resources: resourcesOf(inputs), result: memo.result };
  }
  const resources = resourcesOf(inputs);
  return { resources, result: parseConfig(resources) };
}

function resourcesOf(inputs: ClusterResources): ClusterResources {
  return {
    ipAddressPools: inputs.ipAddressPools,
    l2Advertisements: inputs.l2Advertisements,
    bgpAdvertisements: inputs.bgpAdvertisements,
    bgpPeers: inputs.bgpPeers,
    bfdProfiles: inputs.bfdProfiles,
    communities: inputs.communities,
    namespaces: inputs.namespaces,
    nodes: inputs.nodes,
  };
}
