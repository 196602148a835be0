/** Builders for explain tests: a small working seed cluster, and ways to break one thing in it. */
import type { ServiceOptions } from "../allocator/testing.ts";
import type { Service } from "../api/core.ts";
import type { ServiceL2Status } from "../api/service-l2-status.ts";
import { anL2Ad, aPool } from "../config/testing.ts";
import { aNodeObject, anAnnouncedService, aSlice } from "../speaker/testing.ts";
import type { ExplainOptions, ExplainSnapshot } from "./snapshot.ts";

export const NODES = ["myk8s-control-plane", "myk8s-worker", "myk8s-worker2", "myk8s-worker3"];

export const explainOptions: ExplainOptions = {
  loadBalancerClass: "",
  ignoreExcludeLB: false,
  namespace: "metallb-system",
  now: "2026-12-06T12:00:00Z",
};

export function anL2Status(service: string, node: string, namespace = "default"): ServiceL2Status {
  return {
    apiVersion: "metallb.io/v1beta1",
    kind: "ServiceL2Status",
    metadata: { name: `l2-${service}-${node}`, namespace: "metallb-system" },
    status: { node, serviceName: service, serviceNamespace: namespace },
  };
}

/** A Service the controller already served from my-ippool. */
export function served(name: string, ip: string, o: ServiceOptions = {}): Service {
  return anAnnouncedService(name, [ip], { fromPool: "my-ippool", ...o });
}

/**
 * The seed lab at rest: pool 172.18.255.200-250, one L2Advertisement, four nodes with running
 * speakers, svc1 on 172.18.255.200 with pods on every worker, announced by its elected owner.
 * `owner` must be the node the election picks (the tests find it once and pass it in).
 */
export function seedSnapshot(owner?: string): ExplainSnapshot {
  return {
    services: [served("svc1", "172.18.255.200")],
    endpointSlices: [aSlice("svc1", NODES.slice(1))],
    nodes: NODES.map((n) => aNodeObject(n)),
    namespaces: [],
    ipAddressPools: [aPool("my-ippool", { addresses: ["172.18.255.200-172.18.255.250"] })],
    l2Advertisements: [anL2Ad("my-l2-advertise", { ipAddressPools: ["my-ippool"] })],
    bgpAdvertisements: [],
    bgpPeers: [],
    bfdProfiles: [],
    communities: [],
    serviceL2Statuses: owner === undefined ? [] : [anL2Status("svc1", owner)],
    serviceBGPStatuses: [],
    configurationStates: [],
    speakers: NODES.map((node) => ({ node, state: "running" as const })),
  };
}
