import { describe, expect, test } from "bun:test";
import { announceRequestOf } from "../announce/request.ts";
import { anL2Ad, aPool } from "../config/testing.ts";
import { announcedRowsOf } from "./announced-gauge.ts";
import { parseSegmentsText, SEGMENT_MEMBERS_ALIVE } from "./configuration-state.ts";
import { initialSpeakerState, reconcileSpeaker, type SpeakerOutcome } from "./reconcile.ts";
import {
  aNodeObject,
  anAnnouncedService,
  aSlice,
  type Cluster,
  defaultOptions,
  emptyCluster,
  inputsFor,
} from "./testing.ts";

// With 10.0.0.1 the hash orders a, c, b, d; with 10.0.0.2 b, d, c, a. This speaker is "a".
const NODES = ["a", "b", "c", "d"];
const base: Cluster = {
  ...emptyCluster,
  nodes: NODES.map((n) => aNodeObject(n)),
  members: NODES,
  ipAddressPools: [aPool("p", { addresses: ["10.0.0.0/24", "fd00::/120"] })],
  l2Advertisements: [anL2Ad("all")],
};

function withServices(cluster: Cluster, ...services: [string, string[], object?][]): Cluster {
  return {
    ...cluster,
    services: services.map(([name, ips, o]) => anAnnouncedService(name, ips, o ?? {})),
    endpointSlices: services.map(([name]) => aSlice(name, NODES)),
  };
}

const run = (cluster: Cluster, state = initialSpeakerState, self = "a", options = defaultOptions) =>
  reconcileSpeaker(inputsFor(cluster, self), state, options);

const eventsOf = (o: SpeakerOutcome) => o.events.map((e) => `${e.namespace}/${e.name} ${e.event.message}`);

describe("reconcileSpeaker", () => {
  test("whole outcome for one announced Service", () => {
    const cluster = withServices(base, ["web", ["10.0.0.1"]], ["other", ["10.0.0.2"]]);
    const out = run(cluster);
    expect(out.l2.entries).toEqual([{ ip: "10.0.0.1", interfaces: [], services: ["default/web"] }]);
    expect(out.l2.decisions.map((d) => [d.key, d.announce ? "announce" : d.reason])).toEqual([
      ["default/other", "notOwner"],
      ["default/web", "announce"],
    ]);
    expect(eventsOf(out)).toEqual(['default/web announcing from node "a" with protocol "layer2"']);
    expect(out.events[0]!.event).toEqual({
      type: "Normal",
      reason: "nodeAssigned",
      message: 'announcing from node "a" with protocol "layer2"',
    });
    expect(out.events[0]!.uid).toBe("uid-web");
    expect(out.l2.statuses).toEqual([
      { key: "default/web", node: "a", serviceName: "web", serviceNamespace: "default", interfaces: [] },
    ]);
    expect(announcedRowsOf(out.announcedGauge)).toEqual([
      { service: "default/web", protocol: "layer2", node: "a", ip: "10.0.0.1" },
    ]);
    expect(out.configurationState.name).toBe("speaker-a");
    expect(out.configurationState.labels).toEqual({
      "metallb.io/component-type": "speaker",
      "metallb.io/node-name": "a",
    });
    expect(out.configurationState.status).toEqual({
      result: "Valid",
      errorSummary: "",
      conditions: [
        {
          type: "configReconcilerValid",
          status: "True",
          reason: "Reconciled",
          message: "",
          lastTransitionTime: defaultOptions.now,
        },
        {
          type: "membersAlive",
          status: "True",
          reason: "MembersSeen",
          message: "a,b,c,d",
          lastTransitionTime: defaultOptions.now,
        },
      ],
    });
    expect([out.configStale, out.configLoaded]).toEqual([false, true]);
    // Only non-revertive mode reads who owned what; nothing is kept for it otherwise.
    expect(out.state.owners.size).toBe(0);
    const nonRevertive = run(cluster, initialSpeakerState, "a", { ...defaultOptions, nonRevertive: true });
    expect(nonRevertive.state.owners).toEqual(
      new Map([
        ["10.0.0.1", "a"],
        ["10.0.0.2", "b"],
      ]),
    );
  });

  test("handed the Services' announce requests (what the speaker's store keeps), it decides the same", () => {
    const cluster = withServices(base, ["web", ["10.0.0.1"]], ["other", ["10.0.0.2"]], ["six", ["fd00::1"]]);
    const requests = cluster.services.map(announceRequestOf);
    const fromServices = run(cluster);
    const withRequests = { ...inputsFor(cluster, "a"), services: requests };
    const fromRequests = reconcileSpeaker(withRequests, initialSpeakerState, defaultOptions);
    expect(fromRequests.l2.decisions).toEqual(fromServices.l2.decisions);
    expect(fromRequests.l2.entries).toEqual(fromServices.l2.entries);
    expect(eventsOf(fromRequests)).toEqual(eventsOf(fromServices));
    expect(eventsOf(fromRequests).length).toBeGreaterThan(0);
    // The same request objects next run: last run's decisions, reused.
    const again = reconcileSpeaker(withRequests, fromRequests.state, defaultOptions);
    for (const [i, d] of again.l2.decisions.entries()) expect(d).toBe(fromRequests.l2.decisions[i]!);
  });

  test("a run with nothing changed keeps last run's objects: what a speaker holds is not reallocated", () => {
    // The heap never moves objects, so survivors allocated afresh on every run land among that
    // run's garbage and keep half-empty blocks alive (10k Services: 2x the live heap).
    const cluster = withServices(base, ["web", ["10.0.0.1"]], ["other", ["10.0.0.2"]], ["six", ["fd00::1"]]);
    const first = run(cluster);
    const second = run(cluster, first.state);
    expect(second.l2.entries.length).toBeGreaterThan(0);
    for (const [i, entry] of second.l2.entries.entries()) expect(entry).toBe(first.l2.entries[i]!);
    for (const [i, status] of second.l2.statuses.entries()) expect(status).toBe(first.l2.statuses[i]!);
    for (const [i, decision] of second.l2.decisions.entries()) expect(decision).toBe(first.l2.decisions[i]!);
    expect(second.state.memo!.decisions.base).toBe(first.state.memo!.decisions.base);
    for (const [key, print] of second.state.announced) expect(print).toBe(first.state.announced.get(key)!);
    // A changed Service gets new objects; the others keep theirs.
    const moved = run(
      withServices(cluster, ["web", ["10.0.0.1"]], ["other", ["10.0.0.3"]], ["six", ["fd00::1"]]),
      second.state,
    );
    const byKey = (out: typeof first) => new Map(out.l2.decisions.map((d) => [d.key, d]));
    expect(byKey(moved).get("default/other")).not.toBe(byKey(second).get("default/other"));
    expect(byKey(moved).get("default/other")?.ips).toEqual(["10.0.0.3"]);
  });

  test("nodeAssigned once per takeover: not again while announcing, again after losing and regaining", () => {
    const cluster = withServices(base, ["web", ["10.0.0.1"]]);
    const first = run(cluster);
    expect(eventsOf(first)).toHaveLength(1);
    const again = run(cluster, first.state);
    expect(eventsOf(again)).toEqual([]);
    expect(again.l2.entries).toEqual(first.l2.entries);
    const lost = run({ ...cluster, members: ["b", "c", "d"] }, again.state);
    expect(lost.l2.entries).toEqual([]);
    expect(lost.l2.statuses).toEqual([]);
    expect(announcedRowsOf(lost.announcedGauge)).toEqual([]);
    const regained = run(cluster, lost.state);
    expect(eventsOf(regained)).toEqual(['default/web announcing from node "a" with protocol "layer2"']);
  });

  test("nodeAssigned again when the Service's IP changes or the Service is recreated", () => {
    const one = run(withServices(base, ["web", ["10.0.0.1"]]));
    const moved = run(withServices(base, ["web", ["10.0.0.1", "fd00::1"]]), one.state);
    expect(eventsOf(moved)).toHaveLength(1);
    const recreated = run(withServices(base, ["web", ["10.0.0.1", "fd00::1"], { uid: "new" }]), moved.state);
    expect(eventsOf(recreated)).toHaveLength(1);
    expect(recreated.l2.entries.map((e) => e.ip)).toEqual(["10.0.0.1", "fd00::1"]);
  });

  test("shared IP: one entry with both Services, merged interfaces", () => {
    const shared = { annotations: { "metallb.io/allow-shared-ip": "k" } };
    const cluster: Cluster = {
      ...withServices(base, ["dns-tcp", ["10.0.0.1"], shared], ["dns-udp", ["10.0.0.1"], shared]),
      l2Advertisements: [anL2Ad("eth", { interfaces: ["eth1", "eth0"] })],
    };
    const out = run(cluster);
    expect(out.l2.entries).toEqual([
      { ip: "10.0.0.1", interfaces: ["eth0", "eth1"], services: ["default/dns-tcp", "default/dns-udp"] },
    ]);
    expect(out.l2.statuses.map((s) => [s.key, s.interfaces])).toEqual([
      ["default/dns-tcp", [{ name: "eth0" }, { name: "eth1" }]],
      ["default/dns-udp", [{ name: "eth0" }, { name: "eth1" }]],
    ]);
    expect(eventsOf(out)).toHaveLength(2);
  });

  test("entries are in address order, IPv4 before IPv6", () => {
    const cluster = {
      ...withServices(
        base,
        ["s1", ["fd00::1"]],
        ["s2", ["10.0.0.10"]],
        ["s3", ["10.0.0.9"]],
        ["s4", ["10.0.0.1"]],
      ),
      members: undefined,
      nodes: [aNodeObject("a")],
    };
    expect(run(cluster).l2.entries.map((e) => e.ip)).toEqual([
      "10.0.0.1",
      "10.0.0.9",
      "10.0.0.10",
      "fd00::1",
    ]);
  });

  test("an invalid configuration keeps the last good one: stale, Invalid, still announcing", () => {
    const cluster = withServices(base, ["web", ["10.0.0.1"]]);
    const good = run(cluster);
    const broken: Cluster = {
      ...cluster,
      ipAddressPools: [...cluster.ipAddressPools, aPool("overlap", { addresses: ["10.0.0.128/25"] })],
    };
    const later = "2026-11-25T12:05:00Z";
    const out = run(broken, good.state, "a", { ...defaultOptions, now: later });
    expect(out.configStale).toBe(true);
    expect(out.configLoaded).toBe(true);
    expect(out.configErrors.length).toBeGreaterThan(0);
    expect(out.l2.entries).toEqual(good.l2.entries);
    expect(out.events).toEqual([]);
    expect(out.configurationState.status.result).toBe("Invalid");
    expect(out.configurationState.status.conditions?.[0]).toMatchObject({
      status: "False",
      reason: "ConfigurationError",
      lastTransitionTime: later,
    });
    expect(out.configurationState.status.errorSummary).toContain("overlap");
    // Fixed again: Valid, with a new transition time.
    const fixed = run(cluster, out.state, "a", { ...defaultOptions, now: "2026-11-25T12:10:00Z" });
    expect(fixed.configStale).toBe(false);
    expect(fixed.configurationState.status.conditions?.[0]).toMatchObject({
      status: "True",
      lastTransitionTime: "2026-11-25T12:10:00Z",
    });
  });

  test("an invalid first configuration: nothing loaded, nothing announced", () => {
    const cluster: Cluster = {
      ...withServices(base, ["web", ["10.0.0.1"]]),
      ipAddressPools: [aPool("bad", { addresses: ["10.0.0.300/24"] })],
    };
    const out = run(cluster);
    expect([out.configStale, out.configLoaded]).toEqual([true, false]);
    expect(out.l2.decisions.map((d) => (d.announce ? "announce" : d.reason))).toEqual(["noConfig"]);
    expect(out.l2.entries).toEqual([]);
  });

  test("a configuration that would orphan an announced IP is refused until the IP is gone", () => {
    const cluster = withServices(base, ["web", ["10.0.0.1"]], ["v6", ["fd00::5"]]);
    const good = run(cluster);
    expect(good.l2.entries.map((e) => e.ip)).toContain("10.0.0.1");
    const shrunk: Cluster = { ...cluster, ipAddressPools: [aPool("p", { addresses: ["fd00::/120"] })] };
    const refused = run(shrunk, good.state);
    expect(refused.configStale).toBe(true);
    expect(refused.configErrors).toEqual([]);
    expect(refused.orphaned).toEqual([{ key: "default/web", ips: ["10.0.0.1"] }]);
    expect(refused.configurationState.status.result).toBe("Invalid");
    expect(refused.configurationState.status.errorSummary).toContain('service "default/web"');
    expect(refused.l2.entries.map((e) => e.ip)).toContain("10.0.0.1");
    // The controller clears the IP: now the same configuration is accepted.
    const cleared = withServices(shrunk, ["web", []], ["v6", ["fd00::5"]]);
    const accepted = run(cleared, refused.state);
    expect(accepted.configStale).toBe(false);
    expect(accepted.orphaned).toEqual([]);
    expect(accepted.l2.decisions.find((d) => d.key === "default/web")).toMatchObject({
      reason: "noIPAllocated",
    });
  });

  test("a Service this node does not announce never blocks a configuration", () => {
    const cluster = withServices(base, ["other", ["10.0.0.2"]]);
    const first = run(cluster);
    const shrunk: Cluster = { ...cluster, ipAddressPools: [aPool("p", { addresses: ["fd00::/120"] })] };
    const out = run(shrunk, first.state);
    expect(out.configStale).toBe(false);
    expect(out.l2.decisions[0]).toMatchObject({ announce: false, reason: "ipNotAllowed" });
  });

  test("Node objects resolve advertisement nodeSelectors at parse time", () => {
    const cluster: Cluster = {
      ...withServices(base, ["web", ["10.0.0.1"]]),
      l2Advertisements: [anL2Ad("edge", { nodeSelectors: [{ matchLabels: { role: "edge" } }] })],
    };
    expect(run(cluster).l2.decisions[0]).toMatchObject({ reason: "noMatchingAdvertisement", candidates: [] });
    const labelled: Cluster = {
      ...cluster,
      nodes: NODES.map((n) => aNodeObject(n, { labels: n === "a" || n === "d" ? { role: "edge" } : {} })),
    };
    expect(run(labelled).l2.decisions[0]).toMatchObject({ announce: true, candidates: ["a", "d"] });
  });

  test("an IP inside another announcing segment's subnet is elected among the nodes heard there; the others by every member", () => {
    // 10.0.0.1 orders a, c, b, d: "a" is alive on the bind address's segment but not heard on
    // eth1's, which holds 10.0.0.0/24, so "c" owns it; 10.0.0.2 (b first) is elected the same way.
    const cluster = withServices(base, ["web", ["10.0.0.1"]], ["other", ["10.0.0.2"]]);
    const segments = [{ ifname: "eth1", prefixes: ["10.0.0.0/24"], members: ["b", "c", "d"] }];
    const asA = reconcileSpeaker(
      { ...inputsFor(cluster, "a"), segments },
      initialSpeakerState,
      defaultOptions,
    );
    expect(asA.l2.decisions.map((d) => [d.key, d.owner, d.announce ? "announce" : d.reason])).toEqual([
      ["default/other", "b", "notOwner"],
      ["default/web", "c", "notOwner"],
    ]);
    const asC = reconcileSpeaker(
      { ...inputsFor(cluster, "c"), segments },
      initialSpeakerState,
      defaultOptions,
    );
    expect(asC.l2.entries.map((e) => e.ip)).toEqual(["10.0.0.1"]);
    // Outside every segment's subnets, every member elects: "a" keeps 10.0.0.1.
    const elsewhere = [{ ifname: "eth1", prefixes: ["172.19.0.0/24"], members: ["b", "c", "d"] }];
    const outside = reconcileSpeaker(
      { ...inputsFor(cluster, "a"), segments: elsewhere },
      initialSpeakerState,
      defaultOptions,
    );
    expect(outside.l2.entries.map((e) => e.ip)).toEqual(["10.0.0.1"]);
    // A segment heard again is a new base: decided again, not reused from the memo.
    const back = reconcileSpeaker(
      { ...inputsFor(cluster, "a"), segments: [{ ...segments[0]!, members: ["a", "b", "c", "d"] }] },
      asA.state,
      defaultOptions,
    );
    expect(back.l2.entries.map((e) => e.ip)).toEqual(["10.0.0.1"]);
    // The ConfigurationState says what it hears there, and explain reads it back.
    const condition = asA.configurationState.status.conditions?.find((c) => c.type === SEGMENT_MEMBERS_ALIVE);
    expect(condition?.message).toBe("eth1 10.0.0.0/24: b,c,d");
    expect(parseSegmentsText(condition?.message ?? "")).toEqual(segments);
    expect(run(cluster).configurationState.status.conditions?.map((c) => c.type)).not.toContain(
      SEGMENT_MEMBERS_ALIVE,
    );
  });

  test("non-revertive: the remembered owner keeps the IP when a better node joins", () => {
    const options = { ...defaultOptions, nonRevertive: true };
    const cluster = withServices(base, ["web", ["10.0.0.1"]]);
    const withoutA = run({ ...cluster, members: ["b", "c", "d"] }, initialSpeakerState, "c", options);
    expect(withoutA.l2.decisions[0]).toMatchObject({ owner: "c", announce: true });
    const aBack = run(cluster, withoutA.state, "c", options);
    expect(aBack.l2.decisions[0]).toMatchObject({ owner: "c", announce: true });
    expect(aBack.events).toEqual([]);
    // Revertive (the default) hands it back to "a".
    const revertive = run(cluster, withoutA.state, "c");
    expect(revertive.l2.decisions[0]).toMatchObject({ owner: "a", announce: false, reason: "notOwner" });
  });

  test("non-revertive without memory or status objects behaves like MetalLB", () => {
    const options = { ...defaultOptions, nonRevertive: true };
    const out = run(withServices(base, ["web", ["10.0.0.1"]]), initialSpeakerState, "a", options);
    expect(out.l2.decisions[0]).toMatchObject({ owner: "a", announce: true });
  });

  test("Services of another class are left alone", () => {
    const out = run(withServices(base, ["web", ["10.0.0.1"], { loadBalancerClass: "other" }]));
    expect(out.l2.decisions[0]).toMatchObject({ reason: "loadBalancerClassMismatch" });
    expect(out.l2.entries).toEqual([]);
  });

  describe("announceFailed (L2Advertisement.interfaces this node lacks)", () => {
    const onEth1: Cluster = {
      ...withServices(base, ["web", ["10.0.0.1"]]),
      l2Advertisements: [anL2Ad("eth1", { interfaces: ["eth1"], ipAddressPools: ["p"] })],
    };
    const withInterfaces = (names: string[] | undefined, state = initialSpeakerState) =>
      reconcileSpeaker({ ...inputsFor(onEth1, "a"), localInterfaces: names }, state, defaultOptions);
    const warnings = (o: SpeakerOutcome) =>
      o.events
        .filter((e) => e.event.type === "Warning")
        .map((e) => `${e.name} ${e.event.reason}: ${e.event.message}`);

    test("a Warning per IP with MetalLB's words; the entry stays for when the interface appears", () => {
      const out = withInterfaces(["eth0"]);
      expect(warnings(out)).toEqual([
        'web announceFailed: the interfaces specified by LB IP "10.0.0.1" doesn\'t exist in assigned node "a" with protocol "layer2"',
      ]);
      expect(out.l2.entries.map((e) => [e.ip, e.interfaces])).toEqual([["10.0.0.1", ["eth1"]]]);
    });

    test("reported once while it lasts, again after it cleared and came back", () => {
      const first = withInterfaces(["eth0"]);
      const still = withInterfaces(["eth0", "lo2"], first.state);
      expect(warnings(still)).toEqual([]);
      const cleared = withInterfaces(["eth0", "eth1"], still.state);
      expect(warnings(cleared)).toEqual([]);
      expect(warnings(withInterfaces(["eth0"], cleared.state))).toHaveLength(1);
    });

    test("nothing is reported while the interfaces are unknown, or for advertisements without interfaces", () => {
      expect(warnings(withInterfaces(undefined))).toEqual([]);
      const anywhere = reconcileSpeaker(
        { ...inputsFor(withServices(base, ["web", ["10.0.0.1"]]), "a"), localInterfaces: [] },
        initialSpeakerState,
        defaultOptions,
      );
      expect(warnings(anywhere)).toEqual([]);
    });
  });
});

describe("speaker-<node> ConfigurationState, what the speaker reports of itself", () => {
  test("the interfaces it answers on, once known, sorted", () => {
    const known = reconcileSpeaker(
      { ...inputsFor(base, "a"), localInterfaces: ["eth1", "eth0"] },
      initialSpeakerState,
      defaultOptions,
    );
    expect(
      known.configurationState.status.conditions?.find((c) => c.type === "layer2Interfaces"),
    ).toMatchObject({
      status: "True",
      message: "eth0,eth1",
    });
    const unknown = run(base);
    expect(unknown.configurationState.status.conditions?.map((c) => c.type)).not.toContain(
      "layer2Interfaces",
    );
  });
});
