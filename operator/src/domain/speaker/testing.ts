/**
 * Builders for speaker tests: a small cluster as plain objects, turned into SpeakerInputs for any
 * node, and a runner that folds each speaker's state from one reconcile into the next.
 */
import { aService, type ServiceOptions } from "../allocator/testing.ts";
import type { BGPAdvertisement } from "../api/bgp-advertisement.ts";
import type { BGPPeer } from "../api/bgp-peer.ts";
import type { Community } from "../api/community.ts";
import type { EndpointSlice, Node, Service } from "../api/core.ts";
import type { IPAddressPool } from "../api/ip-address-pool.ts";
import type { L2Advertisement } from "../api/l2-advertisement.ts";
import type { ServiceL2Status } from "../api/service-l2-status.ts";
import type { BgpSecrets } from "../bgp/password.ts";
import type { SpeakerInputs } from "./inputs.ts";
import {
  initialSpeakerState,
  reconcileSpeaker,
  type SpeakerOptions,
  type SpeakerOutcome,
  type SpeakerState,
} from "./reconcile.ts";

export interface Cluster {
  readonly nodes: readonly Node[];
  readonly services: readonly Service[];
  readonly endpointSlices: readonly EndpointSlice[];
  readonly ipAddressPools: readonly IPAddressPool[];
  readonly l2Advertisements: readonly L2Advertisement[];
  readonly members: readonly string[] | undefined;
  readonly serviceL2Statuses?: readonly ServiceL2Status[];
  readonly bgpAdvertisements?: readonly BGPAdvertisement[];
  readonly bgpPeers?: readonly BGPPeer[];
  readonly communities?: readonly Community[];
  readonly secrets?: BgpSecrets;
}

export const emptyCluster: Cluster = {
  nodes: [],
  services: [],
  endpointSlices: [],
  ipAddressPools: [],
  l2Advertisements: [],
  members: [],
};

export function aNodeObject(
  name: string,
  o: { labels?: Record<string, string>; networkUnavailable?: boolean } = {},
): Node {
  return {
    metadata: { name, labels: { "kubernetes.io/hostname": name, ...(o.labels ?? {}) } },
    status: {
      conditions: [{ type: "NetworkUnavailable", status: o.networkUnavailable ? "True" : "False" }],
    },
  };
}

/** A LoadBalancer Service that already holds `ips` in its status (the controller's work). */
export function anAnnouncedService(
  name: string,
  ips: readonly string[],
  o: ServiceOptions & { uid?: string } = {},
): Service {
  const service = aService(name, { ...o, ingress: ips });
  return { ...service, metadata: { ...service.metadata, uid: o.uid ?? `uid-${name}` } };
}

/** One EndpointSlice of a Service with a ready endpoint on each listed node. */
export function aSlice(
  service: string,
  nodes: readonly string[],
  o: { namespace?: string; ready?: boolean; serving?: boolean; suffix?: string } = {},
): EndpointSlice {
  return {
    metadata: {
      name: `${service}-${o.suffix ?? "abcde"}`,
      namespace: o.namespace ?? "default",
      labels: { "kubernetes.io/service-name": service },
    },
    addressType: "IPv4",
    endpoints: nodes.map((node, i) => ({
      addresses: [`10.244.${i}.10`],
      nodeName: node,
      conditions: { ready: o.ready ?? true, serving: o.serving ?? o.ready ?? true },
    })),
  };
}

export function inputsFor(cluster: Cluster, nodeName: string): SpeakerInputs {
  return {
    nodeName,
    members: cluster.members,
    services: cluster.services,
    endpointSlices: cluster.endpointSlices,
    nodes: cluster.nodes,
    namespaces: [],
    ipAddressPools: cluster.ipAddressPools,
    l2Advertisements: cluster.l2Advertisements,
    bgpAdvertisements: cluster.bgpAdvertisements ?? [],
    bgpPeers: cluster.bgpPeers ?? [],
    bfdProfiles: [],
    communities: cluster.communities ?? [],
    serviceL2Statuses: cluster.serviceL2Statuses,
    ...(cluster.secrets !== undefined && { secrets: cluster.secrets }),
  };
}

export const defaultOptions: SpeakerOptions = {
  loadBalancerClass: "",
  ignoreExcludeLB: false,
  nonRevertive: false,
  now: "2026-11-25T12:00:00Z",
};

/** Several speakers, each with its own folded state, reconciling the same cluster. */
export class Speakers {
  private readonly states = new Map<string, SpeakerState>();
  readonly last = new Map<string, SpeakerOutcome>();

  constructor(
    readonly names: readonly string[],
    readonly options: SpeakerOptions = defaultOptions,
  ) {}

  /** Every speaker (or only the running ones) reconciles once; returns the latest outcomes by node. */
  reconcile(cluster: Cluster, running: readonly string[] = this.names): Map<string, SpeakerOutcome> {
    for (const name of running) {
      const outcome = reconcileSpeaker(
        inputsFor(cluster, name),
        this.states.get(name) ?? initialSpeakerState,
        this.options,
      );
      this.states.set(name, outcome.state);
      this.last.set(name, outcome);
    }
    return this.last;
  }

  /** Forget one speaker's memory (a restart). */
  restart(name: string): void {
    this.states.delete(name);
  }

  /** IP -> the nodes announcing it, per the latest outcomes of the running speakers. */
  announcers(running: readonly string[] = this.names): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const name of running) {
      for (const entry of this.last.get(name)?.l2.entries ?? []) {
        out[entry.ip] = [...(out[entry.ip] ?? []), name].sort();
      }
    }
    return out;
  }
}
