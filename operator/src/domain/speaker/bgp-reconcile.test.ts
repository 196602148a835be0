import { describe, expect, test } from "bun:test";
import { aBGPAd, aPeer, aPool } from "../config/testing.ts";
import { announcedRowsOf } from "./announced-gauge.ts";
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

const NODES = ["a", "b", "c"];
const base: Cluster = {
  ...emptyCluster,
  nodes: NODES.map((n) => aNodeObject(n, { labels: { rack: n === "c" ? "r2" : "r1" } })),
  members: NODES,
  ipAddressPools: [aPool("p", { addresses: ["10.0.0.0/24"] })],
  bgpPeers: [aPeer("tor", { peerAddress: "172.18.0.254", peerASN: 64500 })],
  bgpAdvertisements: [aBGPAd("all", { communities: ["65000:1"] })],
};

function withServices(cluster: Cluster, ...services: [string, string[], string[]][]): Cluster {
  return {
    ...cluster,
    services: services.map(([name, ips]) => anAnnouncedService(name, ips)),
    endpointSlices: services.map(([name, , on]) => aSlice(name, on)),
  };
}

const run = (cluster: Cluster, state = initialSpeakerState, self = "a") =>
  reconcileSpeaker(inputsFor(cluster, self), state, defaultOptions);

const routesOf = (o: SpeakerOutcome) =>
  [...o.bgp.desired.routes].map(([peer, routes]) => [peer, routes.map((r) => r.prefix)]);

describe("reconcileSpeaker, BGP", () => {
  test("nodeAssigned over BGP again for a new IP or a recreated Service, not for an unchanged one", () => {
    const cluster = withServices(base, ["web", ["10.0.0.1"], ["b"]], ["db", ["10.0.0.2"], ["c"]]);
    const first = run(cluster);
    const moved = {
      ...cluster,
      services: [
        anAnnouncedService("web", ["10.0.0.9"]),
        anAnnouncedService("db", ["10.0.0.2"], { uid: "u2" }),
      ],
    };
    const second = run(moved, first.state);
    expect(second.events.map((e) => `${e.name} ${e.event.message}`)).toEqual([
      'db announcing from node "a" with protocol "bgp"',
      'web announcing from node "a" with protocol "bgp"',
    ]);
    expect(run(moved, second.state).events).toEqual([]);
  });

  test("a run with nothing changed hands on last run's routes, statuses and announced map, not copies", () => {
    const cluster = withServices(base, ["web", ["10.0.0.1"], ["b"]], ["db", ["10.0.0.2"], ["c"]]);
    const first = run(cluster);
    const second = run(cluster, first.state);
    expect(second.bgp.desired.routes).toBe(first.bgp.desired.routes);
    expect(second.bgp.statuses).toHaveLength(2);
    for (const [i, s] of second.bgp.statuses.entries()) expect(s).toBe(first.bgp.statuses[i] as typeof s);
    expect(second.announcedGauge.bgp).toBe(first.announcedGauge.bgp);
    expect(second.state.bgpAnnounced).toBe(first.state.bgpAnnounced);
    // BGP alone is advertised: no Layer 2 decision is made or kept, and BGP's are reused.
    expect(first.l2.decisions).toEqual([]);
    expect(second.bgp.decisions).toEqual(first.bgp.decisions);
    for (const [i, d] of second.bgp.decisions.entries()) expect(d).toBe(first.bgp.decisions[i] as typeof d);
    expect(second.events).toEqual([]);
    // One Service more: a new map, holding both.
    const third = run(
      withServices(
        base,
        ["web", ["10.0.0.1"], ["b"]],
        ["db", ["10.0.0.2"], ["c"]],
        ["api", ["10.0.0.3"], ["b"]],
      ),
      second.state,
    );
    expect(third.state.bgpAnnounced).not.toBe(second.state.bgpAnnounced);
    expect([...(third.state.bgpAnnounced?.keys() ?? [])].sort()).toEqual([
      "default/api",
      "default/db",
      "default/web",
    ]);
  });

  test("every eligible node announces: a session per selecting peer, a route per Service IP, one Event", () => {
    const cluster = withServices(base, ["web", ["10.0.0.1"], ["b"]], ["db", ["10.0.0.2"], ["c"]]);
    const out = run(cluster);
    expect(
      out.bgp.desired.sessions.map((s) => [s.peer, s.peerAddress, s.myASN, s.peerASN, s.holdTimeS]),
    ).toEqual([["tor", "172.18.0.254", 64512, 64500, 90]]);
    expect(routesOf(out)).toEqual([["tor", ["10.0.0.1/32", "10.0.0.2/32"]]]);
    expect(out.bgp.desired.routes.get("tor")?.[0]?.communities).toEqual([65000 * 65536 + 1]);
    expect(out.bgp.statuses.map((s) => [s.key, s.node, s.peers])).toEqual([
      ["default/db", "a", ["tor"]],
      ["default/web", "a", ["tor"]],
    ]);
    expect(out.events.map((e) => `${e.name} ${e.event.message}`)).toEqual([
      'db announcing from node "a" with protocol "bgp"',
      'web announcing from node "a" with protocol "bgp"',
    ]);
    expect(announcedRowsOf(out.announcedGauge).map((r) => `${r.service} ${r.protocol} ${r.ip}`)).toEqual([
      "default/db bgp 10.0.0.2",
      "default/web bgp 10.0.0.1",
    ]);
    // No L2Advertisement: Layer 2 announces nothing.
    expect(out.l2.entries).toEqual([]);
    // Again with the same state: no new Event, the same desired set.
    const again = run(cluster, out.state);
    expect(again.events).toEqual([]);
    expect(routesOf(again)).toEqual(routesOf(out));
  });

  test("an advertisement that does not select this node, and ETP Local without a local endpoint, withdraw", () => {
    const onlyR2 = {
      ...base,
      bgpAdvertisements: [aBGPAd("r2", { nodeSelectors: [{ matchLabels: { rack: "r2" } }] })],
    };
    const out = run(withServices(onlyR2, ["web", ["10.0.0.1"], ["a"]]));
    expect(out.bgp.decisions.map((d) => (d.announce ? "announce" : d.reason))).toEqual([
      "noMatchingAdvertisement",
    ]);
    expect(routesOf(out)).toEqual([]);
    expect(out.bgp.desired.sessions).toHaveLength(1);
    expect(
      run(withServices(onlyR2, ["web", ["10.0.0.1"], ["a"]]), initialSpeakerState, "c").bgp.statuses,
    ).toHaveLength(1);
  });

  test("a peer asking for what is not supported yet is reported on the ConfigurationState and gets no session", () => {
    const cluster = withServices(
      { ...base, bgpPeers: [aPeer("tor", { peerAddress: "172.18.0.254", vrf: "red" })] },
      ["web", ["10.0.0.1"], ["a"]],
    );
    const out = run(cluster);
    expect(out.bgp.desired.sessions).toEqual([]);
    expect(out.bgp.peerProblems.map((p) => p.code)).toEqual(["vrfNotSupported"]);
    expect(out.configurationState.status.errorSummary).toContain('BGPPeer "tor"');
    // The Service reaches no peer: no Event, no status, the reason is kept.
    expect(out.events).toEqual([]);
    expect(out.bgp.statuses).toEqual([]);
    expect(out.bgp.unrouted.get("default/web")).toBe("noPeerForAdvertisement");
  });

  test("a configuration without BGPAdvertisements decides no BGP at all (no cost for Layer 2 clusters)", () => {
    const out = run(withServices({ ...base, bgpAdvertisements: [] }, ["web", ["10.0.0.1"], ["a"]]));
    expect(out.bgp.decisions).toEqual([]);
    expect(routesOf(out)).toEqual([]);
  });
});

describe("speaker-<node> ConfigurationState, BGP sessions", () => {
  const cluster = withServices(base, ["web", ["10.0.0.1"], ["a"]]);
  const withSessions = (sessions: { peer: string; state: "established" | "active"; lastError?: string }[]) =>
    reconcileSpeaker(
      {
        ...inputsFor(cluster, "a"),
        bgpSessions: sessions.map((s) => ({ peer: s.peer, state: s.state, lastError: s.lastError })),
      },
      initialSpeakerState,
      defaultOptions,
    ).configurationState.status.conditions;

  test("a node with sessions says which are down and why; none down is True", () => {
    expect(withSessions([{ peer: "tor", state: "established" }])?.[1]).toMatchObject({
      type: "bgpSessionsEstablished",
      status: "True",
      reason: "AllEstablished",
    });
    expect(
      withSessions([
        { peer: "edge", state: "active", lastError: "connect timeout" },
        { peer: "tor", state: "established" },
      ])?.[1],
    ).toMatchObject({
      status: "False",
      reason: "SessionsDown",
      message: "edge: not established (connect timeout)",
    });
  });

  test("a node without sessions has no session condition (only the configuration's, and membership's)", () => {
    expect(withSessions([])?.map((c) => c.type)).toEqual(["configReconcilerValid", "membersAlive"]);
  });

  test("no membership running (a BGP-only speaker's members say nobody, not even itself): no membersAlive", () => {
    // Otherwise explain would read "hears nobody" and count every speaker dead.
    const conditions = (members: string[]) =>
      reconcileSpeaker(
        {
          ...inputsFor(cluster, "a"),
          members,
          bgpSessions: [{ peer: "tor", state: "established", lastError: undefined }],
        },
        initialSpeakerState,
        defaultOptions,
      ).configurationState.status.conditions?.map((c) => c.type);
    expect(conditions([])).toEqual(["configReconcilerValid", "bgpSessionsEstablished"]);
    expect(conditions(["b", "c"])).toEqual(["configReconcilerValid", "bgpSessionsEstablished"]);
    expect(conditions(["a", "b"])).toEqual([
      "configReconcilerValid",
      "bgpSessionsEstablished",
      "membersAlive",
    ]);
  });
});
