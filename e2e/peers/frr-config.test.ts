import { describe, expect, test } from "bun:test";
import { DENY_ALL_MAP, frrBgpdConfig, IPV6_NEXT_HOP_MAP } from "./frr-config.ts";

describe("frrBgpdConfig", () => {
  const config = frrBgpdConfig({
    asn: 64500,
    routerId: "172.18.0.254",
    maximumPaths: 4,
    neighbors: [
      {
        kind: "range",
        name: "NODES",
        ranges: ["172.18.0.0/24"],
        remoteAs: "external",
        timers: { keepaliveS: 1, holdS: 3 },
        connectRetryS: 5,
        families: ["ipv4", "ipv6"],
        bfd: true,
      },
      { kind: "static", address: "172.18.0.3", remoteAs: 64512, password: "s3cret", ebgpMultihop: 2 },
    ],
  });
  const lines = config.split("\n");

  test("turns off the defaults MetalLB's routers turn off and relaxes multipath across ASNs", () => {
    for (const line of [
      "router bgp 64500",
      " bgp router-id 172.18.0.254",
      " no bgp ebgp-requires-policy",
      " no bgp default ipv4-unicast",
      " bgp bestpath as-path multipath-relax",
    ]) {
      expect(lines).toContain(line);
    }
  });

  test("a listen range becomes a peer-group with its settings", () => {
    for (const line of [
      " neighbor NODES peer-group",
      " neighbor NODES remote-as external",
      " neighbor NODES timers 1 3",
      " neighbor NODES timers connect 5",
      " neighbor NODES bfd",
      " bgp listen range 172.18.0.0/24 peer-group NODES",
    ]) {
      expect(lines).toContain(line);
    }
  });

  test("a static neighbour gets its ASN, password and multihop; ipv4 only by default", () => {
    expect(lines).toContain(" neighbor 172.18.0.3 remote-as 64512");
    expect(lines).toContain(" neighbor 172.18.0.3 password s3cret");
    expect(lines).toContain(" neighbor 172.18.0.3 ebgp-multihop 2");
    const v6 = config.slice(config.indexOf(" address-family ipv6 unicast"));
    expect(v6).not.toContain("172.18.0.3");
  });

  test("every family activates its members, denies outbound, and IPv6 prefers the global next hop", () => {
    const v4 = config.slice(
      config.indexOf(" address-family ipv4 unicast"),
      config.indexOf(" address-family ipv6"),
    );
    expect(v4).toContain("  maximum-paths 4\n");
    expect(v4).toContain("  neighbor NODES activate\n");
    expect(v4).toContain("  neighbor 172.18.0.3 activate\n");
    expect(v4).toContain(`  neighbor 172.18.0.3 route-map ${DENY_ALL_MAP} out\n`);
    expect(v4).not.toContain(IPV6_NEXT_HOP_MAP);
    const v6 = config.slice(config.indexOf(" address-family ipv6 unicast"));
    expect(v6).toContain(`  neighbor NODES route-map ${IPV6_NEXT_HOP_MAP} in\n`);
    expect(config).toContain(`route-map ${IPV6_NEXT_HOP_MAP} permit 10\n set ipv6 next-hop prefer-global\n`);
  });

  test("advertiseToNeighbors drops the outbound deny", () => {
    const open = frrBgpdConfig({
      asn: 64500,
      routerId: "10.0.0.1",
      advertiseToNeighbors: true,
      neighbors: [{ kind: "static", address: "10.0.0.2", remoteAs: "internal" }],
    });
    expect(open).toContain(" neighbor 10.0.0.2 remote-as internal\n");
    expect(open).not.toContain(`route-map ${DENY_ALL_MAP} out`);
  });
});
