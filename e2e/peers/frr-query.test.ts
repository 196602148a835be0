import { describe, expect, test } from "bun:test";
import { parseFrrNeighbors, parseFrrRoutes } from "./frr-query.ts";

/** The shape of FRR 8.4's `show bgp ipv4 unicast json detail`: a prefix header, then its paths. */
const path = (peer: string, extra: Record<string, unknown>) => ({
  aspath: { segments: [{ type: "as-sequence", list: [64512] }] },
  origin: "IGP",
  valid: true,
  community: { list: ["65000:1"] },
  largeCommunity: { list: ["1:2:3"] },
  nexthops: [{ ip: peer, afi: "ipv4", used: true }],
  peer: { peerId: peer },
  ...extra,
});

const RIB = JSON.stringify({
  routerId: "172.18.0.254",
  routes: {
    "172.18.255.200/32": [
      { prefix: "172.18.255.200/32", advertisedTo: {} },
      path("172.18.0.4", { multipath: true }),
      path("172.18.0.3", { multipath: true, bestpath: { overall: true }, localpref: 100 }),
      path("172.18.0.5", { valid: false }),
    ],
    "172.18.255.201/32": [{ prefix: "172.18.255.201/32" }, path("172.18.0.5", {})],
  },
});

describe("parseFrrRoutes", () => {
  test("next hops of the best path and its multipath siblings, attributes of the best", () => {
    const route = parseFrrRoutes(RIB).get("172.18.255.200/32");
    expect(route?.nexthops).toEqual(["172.18.0.3", "172.18.0.4"]);
    expect(route).toMatchObject({
      origin: "IGP",
      localPref: 100,
      communities: ["65000:1"],
      largeCommunities: ["1:2:3"],
      aspath: [64512],
    });
    expect(route?.paths.map((p) => p.peer)).toEqual(["172.18.0.4", "172.18.0.3"]);
  });

  test("the LOCAL_PREF a path carries, under FRR 8.4's key `locPrf`", () => {
    const json = JSON.stringify({
      routes: {
        "172.18.255.202/32": [
          { prefix: "172.18.255.202/32" },
          path("172.18.0.3", { bestpath: { overall: true }, locPrf: 150 }),
        ],
      },
    });
    expect(parseFrrRoutes(json).get("172.18.255.202/32")?.localPref).toBe(150);
  });

  test("a prefix without a best path is not in the map", () => {
    expect(parseFrrRoutes(RIB).has("172.18.255.201/32")).toBe(false);
  });
});

describe("parseFrrNeighbors", () => {
  test("state, hold time, negotiated families, GR; skips non-neighbour keys", () => {
    const neighbors = parseFrrNeighbors(
      JSON.stringify({
        "172.18.0.3": {
          bgpState: "Established",
          remoteAs: 64512,
          bgpTimerHoldTimeMsecs: 3000,
          bgpTimerKeepAliveIntervalMsecs: 1000,
          peerGroup: "NODES",
          neighborCapabilities: {
            "4byteAs": "advertisedAndReceived",
            multiprotocolExtensions: {
              ipv6Unicast: { advertisedAndReceived: true },
              ipv4Unicast: { advertisedAndReceived: true },
              ipv4Multicast: { advertised: true },
            },
          },
          gracefulRestartInfo: { remoteGrMode: "Helper", timers: { receivedRestartTimer: 120 } },
          messageStats: { updatesRecv: 2, notificationsRecv: 0 },
        },
        totalPeers: 1,
      }),
    );
    expect([...neighbors.keys()]).toEqual(["172.18.0.3"]);
    expect(neighbors.get("172.18.0.3")).toMatchObject({
      state: "Established",
      remoteAs: 64512,
      holdTimeMs: 3000,
      keepaliveMs: 1000,
      families: ["ipv4Unicast", "ipv6Unicast"],
      gracefulRestart: { remoteMode: "Helper", receivedRestartTimerS: 120 },
      peerGroup: "NODES",
      messages: { updatesReceived: 2, notificationsReceived: 0 },
    });
    expect(neighbors.get("172.18.0.3")?.capabilities["4byteAs"]).toBe("advertisedAndReceived");
  });
});
