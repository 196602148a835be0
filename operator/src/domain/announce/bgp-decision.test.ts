import { describe, expect, test } from "bun:test";
import type { BGPAdvertisement } from "../api/bgp-advertisement.ts";
import type { EndpointSlice, Node, Service } from "../api/core.ts";
import { aBGPAd, anL2Ad, aPool, validConfig } from "../config/testing.ts";
import { aNodeObject, anAnnouncedService, aSlice } from "../speaker/testing.ts";
import { type BgpDecision, bgpDecisionFor } from "./bgp-decision.ts";
import { announceRequestOf } from "./request.ts";
import { announceViewOf } from "./view.ts";

const NODES = ["a", "b", "c"];
const pool = aPool("p", { addresses: ["10.0.0.0/24"] });

interface World {
  readonly nodes?: Node[];
  readonly slices?: EndpointSlice[];
  readonly ads?: BGPAdvertisement[];
  readonly members?: string[];
  readonly ignoreExcludeLB?: boolean;
}

function decide(service: Service, w: World = {}): BgpDecision {
  const nodes = w.nodes ?? NODES.map((n) => aNodeObject(n, { labels: { rack: n === "c" ? "r2" : "r1" } }));
  const config = validConfig({
    ipAddressPools: [pool],
    bgpAdvertisements: w.ads ?? [aBGPAd("all")],
    l2Advertisements: [anL2Ad("l2")],
    nodes,
  });
  const view = announceViewOf({
    self: "a",
    config,
    nodes,
    members: w.members ?? NODES,
    endpointSlices: w.slices ?? [aSlice(service.metadata.name ?? "", ["b"])],
    loadBalancerClass: "",
    ignoreExcludeLB: w.ignoreExcludeLB ?? false,
  });
  return bgpDecisionFor(announceRequestOf(service), view);
}

const verdict = (d: BgpDecision) => (d.announce ? "announce" : d.reason);
const svc = (o: Parameters<typeof anAnnouncedService>[2] = {}) => anAnnouncedService("web", ["10.0.0.1"], o);

describe("bgpDecisionFor: every eligible node announces (no election)", () => {
  test("announces although another node hosts the endpoints and membership says nothing of us", () => {
    const d = decide(svc(), { members: ["b"] });
    expect(d).toMatchObject({ protocol: "bgp", announce: true, pool: "p", ips: ["10.0.0.1"] });
  });

  test("the common checks come first, with their reasons", () => {
    expect(verdict(decide(anAnnouncedService("web", [])))).toBe("noIPAllocated");
    expect(verdict(decide(svc(), { slices: [] }))).toBe("noEndpoints");
    expect(verdict(decide(anAnnouncedService("web", ["192.0.2.1"])))).toBe("ipNotAllowed");
  });

  test("an advertisement must select this node; its serviceSelectors must match", () => {
    const onlyR2 = aBGPAd("r2", { nodeSelectors: [{ matchLabels: { rack: "r2" } }] });
    expect(verdict(decide(svc(), { ads: [onlyR2] }))).toBe("noMatchingAdvertisement");
    const forDb = aBGPAd("db", { serviceSelectors: [{ matchLabels: { app: "db" } }] });
    expect(verdict(decide(svc(), { ads: [forDb] }))).toBe("noMatchingAdvertisement");
    expect(verdict(decide(svc({ labels: { app: "db" } }), { ads: [forDb] }))).toBe("announce");
  });

  test("this node's own facts: NetworkUnavailable, the exclude label, ETP Local", () => {
    const unavailable = [aNodeObject("a", { networkUnavailable: true }), aNodeObject("b")];
    expect(verdict(decide(svc(), { nodes: unavailable }))).toBe("nodeNetworkUnavailable");
    const excluded = [
      aNodeObject("a", { labels: { "node.kubernetes.io/exclude-from-external-load-balancers": "" } }),
      aNodeObject("b"),
    ];
    expect(verdict(decide(svc(), { nodes: excluded }))).toBe("nodeLabeledExcludeBalancers");
    expect(verdict(decide(svc(), { nodes: excluded, ignoreExcludeLB: true }))).toBe("announce");
    const local = svc({ etp: "Local" });
    expect(verdict(decide(local))).toBe("noLocalEndpoints");
    expect(verdict(decide(local, { slices: [aSlice("web", ["a"])] }))).toBe("announce");
  });
});
