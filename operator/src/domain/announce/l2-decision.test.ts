import { describe, expect, test } from "bun:test";
import type { EndpointSlice, Node, Service } from "../api/core.ts";
import type { IPAddressPool } from "../api/ip-address-pool.ts";
import type { L2Advertisement } from "../api/l2-advertisement.ts";
import { anL2Ad, aPool, validConfig } from "../config/testing.ts";
import { aNodeObject, anAnnouncedService, aSlice } from "../speaker/testing.ts";
import { type L2Decision, l2DecisionFor } from "./l2-decision.ts";
import { announceRequestOf } from "./request.ts";
import { announceViewOf } from "./view.ts";

// With 10.0.0.1 the hash orders a, c, b, d; with 10.0.0.2 b, d, c, a. This node is "a".
const NODES = ["a", "b", "c", "d"];
const pool = aPool("p", { addresses: ["10.0.0.0/24", "fd00::/120"] });

interface World {
  readonly nodes?: Node[];
  readonly members?: string[] | undefined;
  readonly slices?: EndpointSlice[];
  readonly pools?: IPAddressPool[];
  readonly ads?: L2Advertisement[];
  readonly loadBalancerClass?: string;
  readonly ignoreExcludeLB?: boolean;
  readonly noConfig?: boolean;
}

function decide(service: Service, w: World = {}): L2Decision {
  const nodes =
    w.nodes ?? NODES.map((n) => aNodeObject(n, { labels: { role: n === "d" ? "edge" : "worker" } }));
  const config = w.noConfig
    ? undefined
    : validConfig({ ipAddressPools: w.pools ?? [pool], l2Advertisements: w.ads ?? [anL2Ad("all")], nodes });
  const view = announceViewOf({
    self: "a",
    config,
    nodes,
    members: "members" in w ? w.members : NODES,
    endpointSlices: w.slices ?? [aSlice(service.metadata.name ?? "", NODES)],
    loadBalancerClass: w.loadBalancerClass ?? "",
    ignoreExcludeLB: w.ignoreExcludeLB ?? false,
  });
  return l2DecisionFor(announceRequestOf(service), view);
}

const svc = (ips: string[] = ["10.0.0.1"], o: Parameters<typeof anAnnouncedService>[2] = {}) =>
  anAnnouncedService("web", ips, o);

const summary = (d: L2Decision) =>
  d.announce ? { announce: true, interfaces: d.interfaces } : { announce: false, reason: d.reason };

describe("l2DecisionFor: why this node does (not) announce", () => {
  const cases: { name: string; service: Service; world?: World; want: ReturnType<typeof summary> }[] = [
    { name: "owner: announces on all interfaces", service: svc(), want: { announce: true, interfaces: [] } },
    {
      name: "ClusterIP Service",
      service: svc(["10.0.0.1"], { type: "ClusterIP" }),
      want: { announce: false, reason: "notLoadBalancer" },
    },
    {
      name: "a class while --lb-class is empty",
      service: svc(["10.0.0.1"], { loadBalancerClass: "other" }),
      want: { announce: false, reason: "loadBalancerClassMismatch" },
    },
    {
      name: "no class while --lb-class is set",
      service: svc(),
      world: { loadBalancerClass: "metalbun" },
      want: { announce: false, reason: "loadBalancerClassMismatch" },
    },
    {
      name: "the matching class",
      service: svc(["10.0.0.1"], { loadBalancerClass: "metalbun" }),
      world: { loadBalancerClass: "metalbun" },
      want: { announce: true, interfaces: [] },
    },
    { name: "no ingress yet", service: svc([]), want: { announce: false, reason: "noIPAllocated" } },
    {
      name: "ingress without a parsable IP",
      service: svc(["not-an-ip"]),
      want: { announce: false, reason: "invalidIP" },
    },
    {
      name: "no configuration loaded",
      service: svc(),
      world: { noConfig: true },
      want: { announce: false, reason: "noConfig" },
    },
    {
      name: "IP in no pool",
      service: svc(["192.168.1.1"]),
      want: { announce: false, reason: "ipNotAllowed" },
    },
    {
      name: "IPs of two pools",
      service: svc(["10.0.0.1", "fd01::1"]),
      world: { pools: [pool, aPool("q", { addresses: ["fd01::/120"] })] },
      want: { announce: false, reason: "ipNotAllowed" },
    },
    {
      name: "a buggy .0 in an avoidBuggyIPs pool",
      service: svc(["10.0.0.0"]),
      world: { pools: [aPool("p", { addresses: ["10.0.0.0/24"], avoidBuggyIPs: true })] },
      want: { announce: false, reason: "ipNotAllowed" },
    },
    {
      name: "no EndpointSlice",
      service: svc(),
      world: { slices: [] },
      want: { announce: false, reason: "noEndpoints" },
    },
    {
      name: "only not-ready endpoints",
      service: svc(),
      world: { slices: [aSlice("web", NODES, { ready: false, serving: false })] },
      want: { announce: false, reason: "noEndpoints" },
    },
    {
      name: "terminating but serving endpoints count",
      service: svc(),
      world: { slices: [aSlice("web", ["d"], { ready: false, serving: true })] },
      want: { announce: true, interfaces: [] },
    },
    {
      name: "the pool has no L2Advertisement",
      service: svc(),
      world: { ads: [anL2Ad("other", { ipAddressPools: ["elsewhere"] })] },
      want: { announce: false, reason: "noMatchingAdvertisement" },
    },
    {
      name: "the advertisement's nodeSelectors leave this node out",
      service: svc(),
      world: { ads: [anL2Ad("edge", { nodeSelectors: [{ matchLabels: { role: "edge" } }] })] },
      want: { announce: false, reason: "noMatchingAdvertisement" },
    },
    {
      name: "the advertisement's serviceSelectors do not match the Service",
      service: svc(),
      world: { ads: [anL2Ad("web-only", { serviceSelectors: [{ matchLabels: { tier: "web" } }] })] },
      want: { announce: false, reason: "noMatchingAdvertisement" },
    },
    {
      name: "serviceSelectors that match",
      service: svc(["10.0.0.1"], { labels: { tier: "web" } }),
      world: { ads: [anL2Ad("web-only", { serviceSelectors: [{ matchLabels: { tier: "web" } }] })] },
      want: { announce: true, interfaces: [] },
    },
    {
      name: "pool selected by label",
      service: svc(),
      world: {
        pools: [aPool("p", { addresses: ["10.0.0.0/24"] }, { zone: "z1" })],
        ads: [anL2Ad("by-label", { ipAddressPoolSelectors: [{ matchLabels: { zone: "z1" } }] })],
      },
      want: { announce: true, interfaces: [] },
    },
    {
      name: "allow-shared-ip with a serviceSelectors advertisement (MetalLB main)",
      service: svc(["10.0.0.1"], {
        labels: { tier: "web" },
        annotations: { "metallb.io/allow-shared-ip": "k" },
      }),
      world: { ads: [anL2Ad("web-only", { serviceSelectors: [{ matchLabels: { tier: "web" } }] })] },
      want: { announce: false, reason: "sharedIPWithServiceSelector" },
    },
    {
      name: "allow-shared-ip with plain advertisements",
      service: svc(["10.0.0.1"], { annotations: { "metallb.io/allow-shared-ip": "k" } }),
      want: { announce: true, interfaces: [] },
    },
    {
      name: "this node NetworkUnavailable",
      service: svc(),
      world: { nodes: NODES.map((n) => aNodeObject(n, { networkUnavailable: n === "a" })) },
      want: { announce: false, reason: "nodeNetworkUnavailable" },
    },
    {
      name: "this node labelled exclude-from-external-load-balancers",
      service: svc(),
      world: {
        nodes: NODES.map((n) =>
          aNodeObject(n, {
            labels: n === "a" ? { "node.kubernetes.io/exclude-from-external-load-balancers": "true" } : {},
          }),
        ),
      },
      want: { announce: false, reason: "nodeLabeledExcludeBalancers" },
    },
    {
      name: "... unless --ignore-exclude-lb",
      service: svc(),
      world: {
        ignoreExcludeLB: true,
        nodes: NODES.map((n) =>
          aNodeObject(n, {
            labels: n === "a" ? { "node.kubernetes.io/exclude-from-external-load-balancers": "" } : {},
          }),
        ),
      },
      want: { announce: true, interfaces: [] },
    },
    {
      name: "ETP Local, no serving endpoint here",
      service: svc(["10.0.0.1"], { etp: "Local" }),
      world: { slices: [aSlice("web", ["b", "c"])] },
      want: { announce: false, reason: "noLocalEndpoints" },
    },
    {
      name: "ETP Local, a serving endpoint here",
      service: svc(["10.0.0.2"], { etp: "Local" }),
      world: { slices: [aSlice("web", ["a"])] },
      want: { announce: true, interfaces: [] },
    },
    {
      name: "another node ranks first",
      service: svc(["10.0.0.2"]),
      want: { announce: false, reason: "notOwner" },
    },
    {
      name: "this speaker is not a live member",
      service: svc(),
      world: { members: ["b", "c", "d"] },
      want: { announce: false, reason: "notOwner" },
    },
    {
      name: "membership disabled: every Node is a candidate",
      service: svc(),
      world: { members: undefined },
      want: { announce: true, interfaces: [] },
    },
    {
      name: "interfaces: union of the advertisements selecting this node",
      service: svc(),
      world: {
        ads: [
          anL2Ad("one", { interfaces: ["eth1", "eth0"] }),
          anL2Ad("two", { interfaces: ["eth2", "eth0"] }),
          anL2Ad("edge", { interfaces: ["eth9"], nodeSelectors: [{ matchLabels: { role: "edge" } }] }),
        ],
      },
      want: { announce: true, interfaces: ["eth0", "eth1", "eth2"] },
    },
    {
      name: "interfaces: one advertisement without a list means all",
      service: svc(),
      world: { ads: [anL2Ad("one", { interfaces: ["eth1"] }), anL2Ad("all")] },
      want: { announce: true, interfaces: [] },
    },
    {
      name: "dual-stack: one decision for both IPs, hashed on the first",
      service: svc(["10.0.0.1", "fd00::1"]),
      want: { announce: true, interfaces: [] },
    },
  ];

  test.each(cases)("$name", ({ service, world, want }) => {
    expect(summary(decide(service, world))).toEqual(want);
  });

  test("the decision names the pool, the IPs, the owner and the ranking", () => {
    const d = decide(svc(["10.0.0.2", "fd00::1"]));
    expect(d).toMatchObject({
      key: "default/web",
      uid: "uid-web",
      ips: ["10.0.0.2", "fd00::1"],
      pool: "p",
      owner: "b",
      candidates: ["b", "d", "c", "a"],
      announce: false,
      reason: "notOwner",
    });
  });

  test("a non-revertive incumbent keeps the IP while it is a candidate", () => {
    const nodes = NODES.map((n) => aNodeObject(n));
    const view = announceViewOf({
      self: "a",
      config: validConfig({ ipAddressPools: [pool], l2Advertisements: [anL2Ad("all")], nodes }),
      nodes,
      members: NODES,
      endpointSlices: [aSlice("web", NODES)],
      loadBalancerClass: "",
      ignoreExcludeLB: false,
    });
    const request = announceRequestOf(svc(["10.0.0.2"]));
    expect(summary(l2DecisionFor(request, view, "a"))).toEqual({ announce: true, interfaces: [] });
    expect(l2DecisionFor(request, view, "c").owner).toBe("c");
    expect(l2DecisionFor(request, view, "gone").owner).toBe("b");
  });

  test("IPv6 text is canonical (RFC 5952), as Go prints it, before hashing", () => {
    const d = decide(svc(["FD00:0:0::0001"]));
    expect(d.ips).toEqual(["fd00::1"]);
  });
});
