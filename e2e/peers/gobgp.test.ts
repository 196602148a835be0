import { describe, expect, test } from "bun:test";
import { parseGobgpNeighbors, parseGobgpRoutes } from "./gobgp.ts";

describe("parseGobgpRoutes", () => {
  test("attributes of `gobgp -j global rib` (v4.9.0), IPv4 and IPv6 next hops", () => {
    const routes = parseGobgpRoutes(
      JSON.stringify({
        "172.18.255.201/32": [
          {
            nlri: { prefix: "172.18.255.201/32" },
            best: true,
            "peer-address": "172.18.0.254",
            stale: false,
            attrs: [
              { type: 1, value: 0 },
              { type: 2, as_paths: [{ segment_type: 2, num: 2, asns: [64500, 64501] }] },
              { type: 5, value: 50 },
              { type: 8, communities: [4259840001] },
              { type: 32, value: [{ ASN: 1, LocalData1: 2, LocalData2: 3 }] },
              { type: 3, nexthop: "172.18.0.254" },
            ],
          },
        ],
        "fc00:f853:ccd:e799::1/128": [
          {
            best: true,
            attrs: [
              { type: 1, value: 2 },
              { type: 14, nexthop: "fc00:f853:ccd:e793::fe", afi: 2 },
            ],
          },
        ],
      }),
    );
    expect(routes.get("172.18.255.201/32")).toMatchObject({
      nexthops: ["172.18.0.254"],
      origin: "IGP",
      localPref: 50,
      communities: ["65000:1"],
      largeCommunities: ["1:2:3"],
      aspath: [64500, 64501],
    });
    expect(routes.get("172.18.255.201/32")?.paths[0]?.peer).toBe("172.18.0.254");
    expect(routes.get("fc00:f853:ccd:e799::1/128")).toMatchObject({
      nexthops: ["fc00:f853:ccd:e793::fe"],
      origin: "incomplete",
    });
  });
});

describe("parseGobgpNeighbors", () => {
  test("session state by name, negotiated hold time, prefixes received per family", () => {
    const neighbors = parseGobgpNeighbors(
      JSON.stringify([
        {
          conf: { neighbor_address: "172.18.0.254", peer_asn: 64500 },
          state: { session_state: 6, messages: { received: { update: 1 }, sent: { update: 2 } } },
          timers: { state: { negotiated_hold_time: 3, keepalive_interval: 1 } },
          afi_safis: [{ state: { family: { afi: 1, safi: 1 }, received: 0 } }],
        },
        { conf: { neighbor_address: "fc00:f853:ccd:e793::fe", peer_asn: 64500 }, state: {} },
      ]),
    );
    expect(neighbors.get("172.18.0.254")).toEqual({
      state: "Established",
      peerAs: 64500,
      holdTimeS: 3,
      keepaliveS: 1,
      updatesReceived: 1,
      updatesSent: 2,
      received: { "1:1": 0 },
      bfdState: undefined,
    });
    expect(neighbors.get("fc00:f853:ccd:e793::fe")?.state).toBe("Unknown");
  });
});
