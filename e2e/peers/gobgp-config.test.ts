import { describe, expect, test } from "bun:test";
import { gobgpConfig } from "./gobgp-config.ts";

type Table = Record<string, unknown>;

describe("gobgpConfig", () => {
  test("a stand-in node: global AS, router id, no listening, multipath, one active neighbour", () => {
    const toml = Bun.TOML.parse(
      gobgpConfig({
        asn: 64512,
        routerId: "172.18.0.3",
        listenPort: -1,
        neighbors: [
          {
            address: "172.18.0.254",
            peerAs: 64500,
            password: "pw",
            timers: { keepaliveS: 1, holdS: 3 },
            families: ["ipv4", "ipv6"],
            gracefulRestartHelper: true,
          },
        ],
      }),
    ) as Table;
    expect(toml.global).toEqual({
      config: { as: 64512, "router-id": "172.18.0.3", port: -1 },
      "use-multiple-paths": { config: { enabled: true } },
    });
    const [n] = toml.neighbors as Table[];
    expect(n?.config).toEqual({
      "neighbor-address": "172.18.0.254",
      "peer-as": 64500,
      "auth-password": "pw",
    });
    expect(n?.timers).toEqual({ config: { "connect-retry": 5, "hold-time": 3, "keepalive-interval": 1 } });
    expect(n?.["graceful-restart"]).toEqual({ config: { enabled: true } });
    expect(((n?.["afi-safis"] ?? []) as Table[]).map((a) => (a.config as Table)["afi-safi-name"])).toEqual([
      "ipv4-unicast",
      "ipv6-unicast",
    ]);
    expect(n?.transport).toBeUndefined();
  });

  test("a router: a passive peer-group for dynamic neighbours, listening on 179", () => {
    const toml = Bun.TOML.parse(
      gobgpConfig({
        asn: 64500,
        routerId: "172.18.0.254",
        dynamicNeighbors: [
          {
            peerGroup: "nodes",
            peerAs: 64512,
            passive: true,
            ebgpMultihop: 3,
            bfd: { intervalMs: 300, multiplier: 3 },
            prefixes: ["172.18.0.0/24"],
          },
        ],
      }),
    ) as Table;
    expect((toml.global as Table).config).toMatchObject({ port: 179 });
    const [group] = toml["peer-groups"] as Table[];
    expect(group?.config).toEqual({ "peer-group-name": "nodes", "peer-as": 64512 });
    expect(group?.transport).toEqual({ config: { "passive-mode": true } });
    expect(group?.["ebgp-multihop"]).toEqual({ config: { enabled: true, "multihop-ttl": 3 } });
    // Microseconds, as gobgpd reads them.
    expect(group?.bfd).toEqual({
      config: {
        enabled: true,
        "desired-minimum-tx-interval": 300000,
        "required-minimum-receive": 300000,
        "detection-multiplier": 3,
      },
    });
    expect(toml["dynamic-neighbors"]).toEqual([
      { config: { prefix: "172.18.0.0/24", "peer-group": "nodes" } },
    ]);
  });
});
