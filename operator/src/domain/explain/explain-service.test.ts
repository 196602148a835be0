import { describe, expect, test } from "bun:test";
import { aService } from "../allocator/testing.ts";
import type { Service } from "../api/core.ts";
import { aBGPAd, anL2Ad, aPeer, aPool } from "../config/testing.ts";
import { speakerConfigurationStateStatus } from "../speaker/configuration-state.ts";
import { aNodeObject, aSlice } from "../speaker/testing.ts";
import { explainService } from "./explain-service.ts";
import type { ExplainSnapshot } from "./snapshot.ts";
import { anL2Status, explainOptions, NODES, seedSnapshot, served } from "./testing.ts";
import type { ServiceExplanation, StepName } from "./verdict.ts";

const explain = (snapshot: ExplainSnapshot, name = "svc1", options = explainOptions) =>
  explainService(snapshot, "default", name, options);

const step = (e: ServiceExplanation, name: StepName) => e.steps.find((s) => s.step === name)!;

/** The node the rules elect for svc1 in the seed (whatever the hash says). */
const OWNER = explain(seedSnapshot()).nodes.find((n) => n.layer2?.code === "announces")!.node;

const withServices = (snapshot: ExplainSnapshot, services: Service[]): ExplainSnapshot => ({
  ...snapshot,
  services,
});

describe("explainService", () => {
  test("all well: announced as decided, every step ok, the first line says where", () => {
    const e = explain(seedSnapshot(OWNER));
    expect(e.healthy).toBe(true);
    expect(e.steps.map((s) => s.verdict)).toEqual(["ok", "ok", "ok", "ok", "ok", "ok"]);
    expect(e.summary).toBe(
      `default/svc1: announced as decided: 172.18.255.200 from pool my-ippool; layer2 from ${OWNER} on every eligible interface`,
    );
    expect(e.nodes.find((n) => n.node === "myk8s-control-plane")?.layer2?.code).toBe("standby");
  });

  test("not ours: type", () => {
    const e = explain(withServices(seedSnapshot(OWNER), [aService("svc1", { type: "ClusterIP" })]));
    expect(e.healthy).toBe(false);
    expect(step(e, "ours")).toMatchObject({ verdict: "fail", code: "notLoadBalancer" });
    expect(e.summary).toBe("default/svc1: not ours: type is ClusterIP, not LoadBalancer");
    expect(step(e, "allocation").verdict).toBe("skip");
  });

  test("not ours: loadBalancerClass", () => {
    const e = explain(withServices(seedSnapshot(), [aService("svc1", { loadBalancerClass: "other.io/lb" })]));
    expect(step(e, "ours").code).toBe("loadBalancerClassMismatch");
    expect(e.summary).toContain('loadBalancerClass is "other.io/lb"');
    const mine = explain(
      withServices(seedSnapshot(), [aService("svc1", { loadBalancerClass: "other.io/lb" })]),
      "svc1",
      { ...explainOptions, loadBalancerClass: "other.io/lb" },
    );
    expect(step(mine, "ours").code).toBe("ours");
  });

  test("Service not found", () => {
    const e = explain(seedSnapshot(), "nope");
    expect(e.summary).toBe("default/nope: Service default/nope not found");
    expect(e.healthy).toBe(false);
  });

  test("pool full: N of N used, naming the pool", () => {
    const snapshot: ExplainSnapshot = {
      ...seedSnapshot(),
      ipAddressPools: [aPool("my-ippool", { addresses: ["172.18.255.200/31"] })],
      services: [served("a", "172.18.255.200"), served("b", "172.18.255.201"), aService("svc1")],
    };
    const e = explain(snapshot);
    expect(step(e, "allocation")).toMatchObject({ verdict: "fail", code: "noAvailableIPs" });
    expect(e.summary).toBe(
      "default/svc1: pool my-ippool (2 of 2 IPv4 addresses used) is full: free an IP or add addresses to the pool",
    );
  });

  test("requested IP in no pool", () => {
    const svc = aService("svc1", { annotations: { "metallb.io/loadBalancerIPs": "192.0.2.7" } });
    const e = explain(withServices(seedSnapshot(), [svc]));
    expect(step(e, "allocation").code).toBe("ipNotInAnyPool");
    expect(e.summary).toContain("the requested IP 192.0.2.7 is in no IPAddressPool");
  });

  test("family mismatch", () => {
    const svc = aService("svc1", { annotations: { "metallb.io/loadBalancerIPs": "fc00::7" } });
    const e = explain(withServices(seedSnapshot(), [svc]));
    expect(step(e, "allocation").code).toBe("requestedFamilyMismatch");
    expect(e.summary).toContain("does not match the Service's IP family");
  });

  test("sharing conflict with Service X on port P", () => {
    const share = { "metallb.io/allow-shared-ip": "k", "metallb.io/loadBalancerIPs": "172.18.255.210" };
    const other = served("web", "172.18.255.210", { annotations: share, selector: { app: "s" } });
    const svc = aService("svc1", { annotations: share, selector: { app: "s" } });
    const e = explain(withServices(seedSnapshot(), [other, svc]));
    expect(step(e, "allocation").code).toBe("portInUse");
    expect(e.summary).toBe(
      "default/svc1: sharing IP 172.18.255.210 conflicts with Service default/web on port TCP/80",
    );
  });

  test("sharing key conflict names the Service holding the IP", () => {
    const other = served("web", "172.18.255.210", {
      annotations: { "metallb.io/allow-shared-ip": "k1" },
    });
    const svc = aService("svc1", {
      annotations: { "metallb.io/allow-shared-ip": "k2", "metallb.io/loadBalancerIPs": "172.18.255.210" },
    });
    const e = explain(withServices(seedSnapshot(), [other, svc]));
    expect(step(e, "allocation").code).toBe("sharingKeyConflict");
    expect(e.summary).toContain("IP 172.18.255.210 is held by default/web");
  });

  test("assigned by the rules but not in the Service: the controller has not written it", () => {
    const e = explain(withServices(seedSnapshot(), [aService("svc1")]));
    expect(step(e, "allocation").code).toBe("assignmentPending");
    expect(e.summary).toContain("the controller would assign 172.18.255.200 from pool my-ippool");
  });

  test("invalid configuration: the first error is named", () => {
    const snapshot: ExplainSnapshot = {
      ...seedSnapshot(OWNER),
      ipAddressPools: [
        aPool("my-ippool", { addresses: ["172.18.255.200-172.18.255.250"] }),
        aPool("overlap", { addresses: ["172.18.255.210/32"] }),
      ],
    };
    const e = explain(snapshot);
    expect(step(e, "allocation").code).toBe("noConfig");
    expect(e.summary).toStartWith("default/svc1: the configuration is invalid: IPAddressPool");
  });

  test("no advertisement selects the pool", () => {
    const e = explain({ ...seedSnapshot(OWNER), l2Advertisements: [] });
    expect(step(e, "advertisement")).toMatchObject({ verdict: "fail", code: "noAdvertisement" });
    expect(e.summary).toBe(
      "default/svc1: no L2Advertisement or BGPAdvertisement selects pool my-ippool: the IP is assigned but nobody announces it",
    );
  });

  test("advertisements whose serviceSelectors miss the Service count as none, and say so", () => {
    const ad = anL2Ad("my-l2-advertise", {
      ipAddressPools: ["my-ippool"],
      serviceSelectors: [{ matchLabels: { team: "x" } }],
    });
    const e = explain({ ...seedSnapshot(OWNER), l2Advertisements: [ad] });
    expect(e.summary).toContain("serviceSelectors do not match");
  });

  test("nodes excluded: nodeSelectors, exclude label, NetworkUnavailable, each with its reason", () => {
    const snapshot: ExplainSnapshot = {
      ...seedSnapshot(),
      nodes: [
        aNodeObject("myk8s-control-plane"),
        aNodeObject("myk8s-worker", {
          labels: { "node.kubernetes.io/exclude-from-external-load-balancers": "" },
        }),
        aNodeObject("myk8s-worker2", { networkUnavailable: true }),
        aNodeObject("myk8s-worker3"),
      ],
      l2Advertisements: [
        anL2Ad("my-l2-advertise", {
          ipAddressPools: ["my-ippool"],
          nodeSelectors: [
            {
              matchExpressions: [
                {
                  key: "kubernetes.io/hostname",
                  operator: "NotIn",
                  values: ["myk8s-worker3", "myk8s-control-plane"],
                },
              ],
            },
          ],
        }),
      ],
    };
    const e = explain(snapshot);
    const codes = Object.fromEntries(e.nodes.map((n) => [n.node, n.layer2?.code]));
    expect(codes).toEqual({
      "myk8s-control-plane": "noMatchingAdvertisement",
      "myk8s-worker": "nodeLabeledExcludeBalancers",
      "myk8s-worker2": "nodeNetworkUnavailable",
      "myk8s-worker3": "noMatchingAdvertisement",
    });
    expect(step(e, "nodes")).toMatchObject({ verdict: "fail", code: "noCandidateNode" });
    expect(e.summary).toBe(
      "default/svc1: no node may announce it: myk8s-control-plane, myk8s-worker3: not selected by the advertisements' nodeSelectors; myk8s-worker: labelled node.kubernetes.io/exclude-from-external-load-balancers; myk8s-worker2: condition NetworkUnavailable=True",
    );
  });

  test("--ignore-exclude-lb makes the labelled node a candidate again", () => {
    const snapshot: ExplainSnapshot = {
      ...seedSnapshot(),
      nodes: NODES.map((n) =>
        aNodeObject(n, { labels: { "node.kubernetes.io/exclude-from-external-load-balancers": "" } }),
      ),
    };
    expect(step(explain(snapshot), "nodes").code).toBe("noCandidateNode");
    expect(step(explain(snapshot, "svc1", { ...explainOptions, ignoreExcludeLB: true }), "nodes").code).toBe(
      "candidates",
    );
  });

  test("externalTrafficPolicy Local with no local endpoint on any speaker's node", () => {
    const snapshot: ExplainSnapshot = {
      ...seedSnapshot(),
      services: [served("svc1", "172.18.255.200", { etp: "Local" })],
      endpointSlices: [aSlice("svc1", ["myk8s-worker"])],
      speakers: NODES.filter((n) => n !== "myk8s-worker").map((node) => ({
        node,
        state: "running" as const,
      })),
    };
    const e = explain(snapshot);
    expect(e.nodes.find((n) => n.node === "myk8s-worker")?.layer2?.code).toBe("speakerNotRunning");
    expect(e.nodes.find((n) => n.node === "myk8s-worker2")?.layer2?.code).toBe("noLocalEndpoints");
    expect(e.summary).toContain("myk8s-worker: no running speaker");
    expect(e.summary).toContain("externalTrafficPolicy Local and no ready endpoint here");
  });

  test("no ready endpoint anywhere", () => {
    const e = explain({
      ...seedSnapshot(),
      endpointSlices: [aSlice("svc1", ["myk8s-worker"], { ready: false })],
    });
    expect(step(e, "nodes").code).toBe("noEndpoints");
    expect(e.summary).toStartWith("default/svc1: no ready endpoint");
  });

  test("speaker not running on the node that would own it: another one is elected", () => {
    const snapshot: ExplainSnapshot = {
      ...seedSnapshot(OWNER),
      speakers: NODES.map((node) => ({
        node,
        state: node === OWNER ? ("notReady" as const) : ("running" as const),
      })),
    };
    const e = explain(snapshot);
    const row = e.nodes.find((n) => n.node === OWNER);
    expect(row).toMatchObject({ speaker: "notReady", layer2: { code: "speakerNotRunning" } });
    const successor = e.nodes.find((n) => n.layer2?.code === "announces")!.node;
    expect(successor).not.toBe(OWNER);
    // Its ServiceL2Status is a leftover, not a second announcer; the successor has not reported yet.
    expect(step(e, "observed")).toMatchObject({ verdict: "fail", code: "notAnnounced" });
    expect(step(e, "observed").text).toContain(`left by the dead speaker of ${OWNER} ignored`);
    // Once the successor reports, it is announced as decided, and the first line still names the dead speaker.
    const after = explain({
      ...snapshot,
      serviceL2Statuses: [anL2Status("svc1", OWNER), anL2Status("svc1", successor)],
    });
    expect(after.healthy).toBe(true);
    expect(after.summary).toEndWith(
      `layer2 from ${successor} on every eligible interface; no live speaker on ${OWNER}`,
    );
  });

  test("observed vs decided: nobody reports announcing", () => {
    const e = explain(seedSnapshot());
    expect(step(e, "observed")).toMatchObject({ verdict: "fail", code: "notAnnounced" });
    expect(e.summary).toContain(`the rules elect ${OWNER}`);
    expect(e.healthy).toBe(false);
  });

  test("observed vs decided: another node reports announcing", () => {
    const other = NODES.find((n) => n !== OWNER)!;
    const e = explain({ ...seedSnapshot(), serviceL2Statuses: [anL2Status("svc1", other)] });
    expect(step(e, "observed").code).toBe("announcedElsewhere");
  });

  test("another announcing segment holds the IP: the owner not heard there loses it, and the rows say why", () => {
    // Every speaker beats on a second segment holding the pool; the others do not hear OWNER there.
    const heard = NODES.filter((n) => n !== OWNER);
    const segments = [{ ifname: "eth1", prefixes: ["172.18.255.0/24"], members: heard }];
    const snapshot: ExplainSnapshot = {
      ...seedSnapshot(OWNER),
      configurationStates: NODES.map((node) => ({
        apiVersion: "metallb.io/v1beta1" as const,
        kind: "ConfigurationState" as const,
        metadata: { name: `speaker-${node}` },
        status: speakerConfigurationStateStatus([], "2026-12-06T12:00:00Z", undefined, {
          members: NODES,
          segments: node === OWNER ? [{ ...segments[0]!, members: [OWNER] }] : segments,
        }),
      })),
    };
    const e = explain(snapshot);
    expect(e.nodes.find((n) => n.node === OWNER)?.layer2?.code).toBe("notHeardOnSegment");
    const elected = e.nodes.find((n) => n.layer2?.code === "announces")?.node;
    expect(heard).toContain(elected!);
    // The old owner still reports announcing it: the observation disagrees with the decision.
    expect(e.healthy).toBe(false);
    expect(step(e, "observed").verdict).toBe("fail");
  });

  test("BGP: every node with a session announces, to its peers, and a down session is shown", () => {
    const snapshot: ExplainSnapshot = {
      ...seedSnapshot(),
      l2Advertisements: [],
      bgpAdvertisements: [aBGPAd("bgp", { ipAddressPools: ["my-ippool"] })],
      bgpPeers: [aPeer("router", { peerAddress: "172.18.0.5" })],
      serviceBGPStatuses: NODES.map((node) => ({
        apiVersion: "metallb.io/v1beta1" as const,
        kind: "ServiceBGPStatus" as const,
        metadata: { name: `bgp-${node}` },
        status: { node, serviceName: "svc1", serviceNamespace: "default", peers: ["router"] },
      })),
      configurationStates: [
        {
          apiVersion: "metallb.io/v1beta1",
          kind: "ConfigurationState",
          metadata: { name: "speaker-myk8s-worker" },
          status: {
            result: "Valid",
            conditions: [
              {
                type: "bgpSessionsEstablished",
                status: "False",
                reason: "SessionsDown",
                message: "router: not established (connection refused)",
                lastTransitionTime: "2026-12-06T12:00:00Z",
              },
            ],
          },
        },
      ],
    };
    const e = explain(snapshot);
    expect(e.healthy).toBe(true);
    expect(e.nodes.find((n) => n.node === "myk8s-worker")?.bgp).toEqual({
      code: "announces",
      peers: ["router"],
      peersDown: ["router"],
    });
    expect(step(e, "announcing").text).toContain("myk8s-worker announces to router (session down)");
  });

  test("BGP: a peer with a passwordSecret forms its session although explain reads no Secret", () => {
    const snapshot: ExplainSnapshot = {
      ...seedSnapshot(),
      l2Advertisements: [],
      bgpAdvertisements: [aBGPAd("bgp", { ipAddressPools: ["my-ippool"] })],
      bgpPeers: [aPeer("router", { peerAddress: "172.18.0.5", passwordSecret: { name: "md5" } })],
    };
    const e = explain(snapshot);
    expect(e.nodes.find((n) => n.node === "myk8s-worker")?.bgp).toMatchObject({
      code: "announces",
      peers: ["router"],
    });
    // Nothing reports announcing it yet: the verdict is the observation, not a missing Secret.
    expect(step(e, "observed").code).toBe("notAnnounced");
  });
});

describe("explainService, non-revertive speakers", () => {
  test("the node announcing now keeps the IP while it is a candidate, as the speakers decide", () => {
    const other = NODES.find((n) => n !== OWNER && n !== "myk8s-control-plane")!;
    const snapshot = { ...seedSnapshot(), serviceL2Statuses: [anL2Status("svc1", other)] };
    const revertive = explain(snapshot);
    expect(step(revertive, "observed").code).toBe("announcedElsewhere");
    const kept = explain(snapshot, "svc1", { ...explainOptions, nonRevertive: true });
    expect(kept.healthy).toBe(true);
    expect(kept.nodes.find((n) => n.node === other)?.layer2?.code).toBe("announces");
  });
});

describe("explainService, L2Advertisement interfaces", () => {
  const reporting = (node: string, interfaces: string[]) => ({
    apiVersion: "metallb.io/v1beta1" as const,
    kind: "ConfigurationState" as const,
    metadata: { name: `speaker-${node}` },
    status: speakerConfigurationStateStatus([], explainOptions.now, undefined, { interfaces }),
  });
  const onEth9 = (reported: string[] | undefined): ExplainSnapshot => ({
    ...seedSnapshot(OWNER),
    l2Advertisements: [anL2Ad("my-l2-advertise", { ipAddressPools: ["my-ippool"], interfaces: ["eth9"] })],
    configurationStates: reported === undefined ? [] : [reporting(OWNER, reported)],
  });

  test("the owner answers on none of the named interfaces: nobody hears it", () => {
    const e = explain(onEth9(["eth0"]));
    expect(step(e, "announcing")).toMatchObject({ verdict: "fail", code: "interfaceNotAvailable" });
    expect(e.summary).toBe(
      `default/svc1: ${OWNER} is elected but answers on none of the interfaces its L2Advertisements name (eth9): nobody hears it`,
    );
    expect(e.nodes.find((n) => n.node === OWNER)?.layer2?.code).toBe("interfaceNotAvailable");
  });

  test("it has the interface, or does not say: announced", () => {
    expect(explain(onEth9(["eth0", "eth9"])).healthy).toBe(true);
    expect(explain(onEth9(undefined)).healthy).toBe(true);
  });
});
