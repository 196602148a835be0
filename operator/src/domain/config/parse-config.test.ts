import { describe, expect, test } from "bun:test";
import { formatCIDR } from "../ip/cidr.ts";
import { formatCommunity } from "./community-value.ts";
import type { ConfigErrorCode } from "./errors.ts";
import { errorSummary } from "./errors.ts";
import { parseConfig } from "./parse-config.ts";
import {
  aBFDProfile,
  aBGPAd,
  aCommunity,
  aNamespace,
  aNode,
  anL2Ad,
  aPeer,
  aPool,
  validConfig,
} from "./testing.ts";
import type { ClusterResources } from "./types.ts";

describe("parseConfig: valid configurations", () => {
  test("the seed pool: a range summarized into prefixes, defaults applied", () => {
    const config = validConfig({
      ipAddressPools: [aPool("my-ippool", { addresses: ["172.18.255.200-172.18.255.250"] })],
      l2Advertisements: [anL2Ad("my-l2-advertise", { ipAddressPools: ["my-ippool"] })],
      nodes: [aNode("myk8s-worker"), aNode("myk8s-worker2")],
    });
    const pool = config.pools.byName.get("my-ippool")!;
    expect(pool.autoAssign).toBe(true);
    expect(pool.avoidBuggyIPs).toBe(false);
    expect(pool.serviceAllocation).toBeUndefined();
    expect(pool.cidrs.map(formatCIDR)).toEqual([
      "172.18.255.200/29",
      "172.18.255.208/28",
      "172.18.255.224/28",
      "172.18.255.240/29",
      "172.18.255.248/31",
      "172.18.255.250/32",
    ]);
    expect(pool.capacity).toEqual({ ipv4: 51n, ipv6: 0n, ipv6Enormous: false });
    expect(pool.l2Advertisements.map((a) => [a.name, [...a.nodes], a.allInterfaces])).toEqual([
      ["my-l2-advertise", ["myk8s-worker", "myk8s-worker2"], true],
    ]);
  });

  test("mixed families, avoidBuggyIPs capacity, enormous IPv6", () => {
    const config = validConfig({
      ipAddressPools: [aPool("mixed", { addresses: ["10.0.0.0/24", "fc00::/64"], avoidBuggyIPs: true })],
    });
    expect(config.pools.byName.get("mixed")!.capacity).toEqual({
      ipv4: 254n,
      ipv6: 1n << 64n,
      ipv6Enormous: true,
    });
  });

  test("pools are indexed by name, namespace and service selector, all sorted", () => {
    const config = validConfig({
      ipAddressPools: [
        aPool("z-general", { addresses: ["10.0.9.0/24"] }),
        aPool("b-ns", {
          addresses: ["10.0.1.0/24"],
          serviceAllocation: { namespaces: ["team-b", "team-a"] },
        }),
        aPool("a-sel", {
          addresses: ["10.0.2.0/24"],
          serviceAllocation: { namespaceSelectors: [{ matchLabels: { tier: "gold" } }] },
        }),
        aPool("c-svc", {
          addresses: ["10.0.3.0/24"],
          serviceAllocation: { serviceSelectors: [{ matchLabels: { app: "web" } }] },
        }),
        aPool("d-prio-only", { addresses: ["10.0.4.0/24"], serviceAllocation: { priority: 5 } }),
      ],
      namespaces: [
        aNamespace("team-a", { tier: "gold" }),
        aNamespace("team-c", { tier: "gold" }),
        aNamespace("x"),
      ],
    });
    expect([...config.pools.byName.keys()]).toEqual(["a-sel", "b-ns", "c-svc", "d-prio-only", "z-general"]);
    expect([...config.pools.byNamespace.entries()]).toEqual([
      ["team-a", ["a-sel", "b-ns"]],
      ["team-c", ["a-sel"]],
      ["team-b", ["b-ns"]],
    ]);
    // A serviceAllocation with only a priority selects every Service (MetalLB PR #2714).
    expect(config.pools.byServiceSelector).toEqual(["c-svc", "d-prio-only"]);
    expect([...(config.pools.byName.get("a-sel")!.serviceAllocation!.namespaces ?? [])].sort()).toEqual([
      "team-a",
      "team-c",
    ]);
  });

  test("namespaceSelectors that select no namespace restrict the pool to nobody (documented deviation)", () => {
    const config = validConfig({
      ipAddressPools: [
        aPool("p", {
          addresses: ["10.0.0.0/24"],
          serviceAllocation: { namespaceSelectors: [{ matchLabels: { a: "b" } }] },
        }),
      ],
      namespaces: [aNamespace("default")],
    });
    expect(config.pools.byName.get("p")!.serviceAllocation!.namespaces).toEqual(new Set());
  });

  test("advertisements: pool selection by name, by label, or all; nodes by selector", () => {
    const config = validConfig({
      ipAddressPools: [
        aPool("a", { addresses: ["10.0.1.0/24"] }, { zone: "x" }),
        aPool("b", { addresses: ["10.0.2.0/24"] }),
      ],
      l2Advertisements: [
        anL2Ad("all"),
        anL2Ad("by-label", {
          ipAddressPoolSelectors: [{ matchLabels: { zone: "x" } }],
          nodeSelectors: [{ matchLabels: { r: "1" } }],
        }),
        anL2Ad("unknown-pool", { ipAddressPools: ["nope"] }),
      ],
      bgpAdvertisements: [
        aBGPAd("to-b", {
          ipAddressPools: ["b"],
          communities: ["65000:100", "no-export"],
          localPref: 50,
        }),
      ],
      communities: [aCommunity("aliases", [{ name: "no-export", value: "65535:65281" }])],
      nodes: [aNode("n1", { r: "1" }), aNode("n2")],
    });
    const a = config.pools.byName.get("a")!;
    const b = config.pools.byName.get("b")!;
    expect(a.l2Advertisements.map((ad) => `${ad.name}:${[...ad.nodes]}`)).toEqual([
      "all:n1,n2",
      "by-label:n1",
    ]);
    expect(b.l2Advertisements.map((ad) => ad.name)).toEqual(["all"]);
    expect(
      b.bgpAdvertisements.map((ad) => [ad.name, ad.localPref, ad.communities.map(formatCommunity)]),
    ).toEqual([["to-b", 50, ["65000:100", "65535:65281"]]]);
    expect(a.bgpAdvertisements).toEqual([]);
  });

  test("peers: timers derived, defaults, selectors", () => {
    const config = validConfig({
      bgpPeers: [
        aPeer("hold-only", { holdTime: "90s" }),
        aPeer("ka-only", { keepaliveTime: "10s", peerAddress: "fc00::1" }),
        aPeer("none", { peerPort: 1179, bfdProfile: "fast" }),
      ],
      bfdProfiles: [aBFDProfile("fast", { receiveInterval: 100, detectMultiplier: 3 })],
    });
    const hold = config.peers.get("hold-only")!;
    expect([hold.holdTimeMs, hold.keepaliveTimeMs, hold.port]).toEqual([90000, 30000, 179]);
    const ka = config.peers.get("ka-only")!;
    expect([ka.holdTimeMs, ka.keepaliveTimeMs, ka.address?.family]).toEqual([30000, 10000, "ipv6"]);
    expect(config.peers.get("none")!.port).toBe(1179);
    expect(config.peers.get("none")!.nodeSelectors).toHaveLength(1);
    expect(config.bfdProfiles.get("fast")!.receiveInterval).toBe(100);
  });

  test("iteration order never depends on input order", () => {
    const pools = [aPool("b", { addresses: ["10.0.2.0/24"] }), aPool("a", { addresses: ["10.0.1.0/24"] })];
    const one = validConfig({ ipAddressPools: pools });
    const two = validConfig({ ipAddressPools: [...pools].reverse() });
    expect([...one.pools.byName.keys()]).toEqual([...two.pools.byName.keys()]);
  });
});

type Case = [string, ClusterResources, ConfigErrorCode, string, boolean?];

const pool = (addresses: string[], extra: object = {}) => aPool("p", { addresses, ...extra });

describe("parseConfig: every invalid input is a ConfigError naming object and field", () => {
  test.each<Case>([
    [
      "no addresses",
      { ipAddressPools: [pool([])] },
      "noAddresses",
      'IPAddressPool "p" spec.addresses: pool has no prefixes defined',
    ],
    [
      "bad CIDR",
      { ipAddressPools: [pool(["10.0.0.0/33"])] },
      "invalidAddress",
      'IPAddressPool "p" spec.addresses[0]: invalid CIDR "10.0.0.0/33" in pool "p": invalid CIDR "10.0.0.0/33"',
    ],
    [
      "bare address",
      { ipAddressPools: [pool(["10.0.0.1"])] },
      "invalidAddress",
      'IPAddressPool "p" spec.addresses[0]: invalid CIDR "10.0.0.1" in pool "p": invalid CIDR "10.0.0.1"',
    ],
    [
      "range start after end",
      { ipAddressPools: [pool(["10.0.0.10 - 10.0.0.1"])] },
      "invalidAddress",
      'IPAddressPool "p" spec.addresses[0]: invalid CIDR "10.0.0.10 - 10.0.0.1" in pool "p": invalid IP range "10.0.0.10 - 10.0.0.1": start IP "10.0.0.10" is after the end IP "10.0.0.1"',
    ],
    [
      "range of mixed families",
      { ipAddressPools: [pool(["10.0.0.1-fc00::1"])] },
      "invalidAddress",
      'IPAddressPool "p" spec.addresses[0]: invalid CIDR "10.0.0.1-fc00::1" in pool "p": invalid IP range "10.0.0.1-fc00::1": start IP "10.0.0.1" and end IP "fc00::1" are of different families',
    ],
    [
      "overlap between pools",
      {
        ipAddressPools: [
          aPool("a", { addresses: ["10.0.0.0/16"] }),
          aPool("b", { addresses: ["10.0.5.0/24"] }),
        ],
      },
      "cidrOverlap",
      'IPAddressPool "b" spec.addresses[0]: CIDR "10.0.5.0/24" in pool "b" overlaps with already defined CIDR "10.0.0.0/16" (pool "a")',
    ],
    [
      "overlap: the later pool (by name) is blamed even if its prefix is wider",
      {
        ipAddressPools: [
          aPool("a", { addresses: ["10.0.5.0/24"] }),
          aPool("b", { addresses: ["10.0.0.0/16"] }),
        ],
      },
      "cidrOverlap",
      'IPAddressPool "b" spec.addresses[0]: CIDR "10.0.0.0/16" in pool "b" overlaps with already defined CIDR "10.0.5.0/24" (pool "a")',
    ],
    [
      "overlap inside one pool (range vs CIDR)",
      { ipAddressPools: [pool(["10.0.0.0/24", "10.0.0.100-10.0.0.110"])] },
      "cidrOverlap",
      'IPAddressPool "p" spec.addresses[1]: CIDR "10.0.0.100/30" in pool "p" overlaps with already defined CIDR "10.0.0.0/24" (pool "p")',
    ],
    [
      "same IPv6 prefix twice",
      {
        ipAddressPools: [aPool("a", { addresses: ["fc00::/64"] }), aPool("b", { addresses: ["FC00::1/64"] })],
      },
      "cidrOverlap",
      'IPAddressPool "b" spec.addresses[0]: CIDR "fc00::/64" in pool "b" overlaps with already defined CIDR "fc00::/64" (pool "a")',
    ],
    [
      "duplicate namespaces",
      { ipAddressPools: [pool(["10.0.0.0/24"], { serviceAllocation: { namespaces: ["a", "a"] } })] },
      "duplicateNamespace",
      'IPAddressPool "p" spec.serviceAllocation.namespaces: duplicate definition in namespaces field: "a"',
    ],
    [
      "invalid namespace selector",
      {
        ipAddressPools: [
          pool(["10.0.0.0/24"], {
            serviceAllocation: { namespaceSelectors: [{ matchExpressions: [{ key: "k", operator: "In" }] }] },
          }),
        ],
      },
      "invalidSelector",
      'IPAddressPool "p" spec.serviceAllocation.namespaceSelectors: namespaceSelectors[0]: matchExpressions[0]: values must not be empty for the In operator',
    ],
    [
      "duplicate service selectors",
      {
        ipAddressPools: [
          pool(["10.0.0.0/24"], {
            serviceAllocation: {
              serviceSelectors: [{ matchLabels: { a: "1" } }, { matchLabels: { a: "1" } }],
            },
          }),
        ],
      },
      "invalidSelector",
      'IPAddressPool "p" spec.serviceAllocation.serviceSelectors: duplicate definition of serviceSelectors {a=1}',
    ],
    [
      "duplicate pool name in an L2Advertisement",
      {
        ipAddressPools: [pool(["10.0.0.0/24"])],
        l2Advertisements: [anL2Ad("l2", { ipAddressPools: ["p", "p"] })],
      },
      "duplicateReference",
      'L2Advertisement "l2" spec.ipAddressPools: duplicate definition of ipAddressPools "p"',
    ],
    [
      "invalid node selector in an L2Advertisement",
      { l2Advertisements: [anL2Ad("l2", { nodeSelectors: [{ matchLabels: { "bad key": "x" } }] })] },
      "invalidSelector",
      "L2Advertisement \"l2\" spec.nodeSelectors: nodeSelectors[0]: matchLabels: invalid label key \"bad key\": the name must be 1-63 alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric character",
    ],
    [
      "preferred node selector weight",
      { l2Advertisements: [anL2Ad("l2", { preferredNodeSelectors: [{ weight: 0, preference: {} }] })] },
      "invalidWeight",
      'L2Advertisement "l2" spec.preferredNodeSelectors[0].weight: weight must be 1-100, got 0',
    ],
    [
      "duplicate pool name in a BGPAdvertisement",
      { bgpAdvertisements: [aBGPAd("bgp", { ipAddressPools: ["p", "p"] })] },
      "duplicateReference",
      'BGPAdvertisement "bgp" spec.ipAddressPools: duplicate definition of ipAddressPools "p"',
    ],
    [
      "aggregation length above 32",
      { bgpAdvertisements: [aBGPAd("bgp", { aggregationLength: 33 })] },
      "invalidAggregationLength",
      'BGPAdvertisement "bgp" spec.aggregationLength: invalid aggregation length 33 for IPv4',
    ],
    [
      "aggregation length above 128",
      { bgpAdvertisements: [aBGPAd("bgp", { aggregationLengthV6: 129 })] },
      "invalidAggregationLength",
      'BGPAdvertisement "bgp" spec.aggregationLengthV6: invalid aggregation length 129 for IPv6',
    ],
    [
      "aggregation shorter than the pool prefix",
      {
        ipAddressPools: [pool(["10.0.0.0/26"])],
        bgpAdvertisements: [aBGPAd("bgp", { aggregationLength: 24 })],
      },
      "aggregationLengthTooLong",
      'BGPAdvertisement "bgp" spec.aggregationLength: invalid aggregation length 24: prefix 26 in pool "p" is more specific than the aggregation length for addresses 10.0.0.0/26',
    ],
    [
      "IPv6 aggregation shorter than the pool prefix",
      {
        ipAddressPools: [pool(["fc00::/120"])],
        bgpAdvertisements: [aBGPAd("bgp", { aggregationLengthV6: 64 })],
      },
      "aggregationLengthTooLong",
      'BGPAdvertisement "bgp" spec.aggregationLengthV6: invalid aggregation length 64: prefix 120 in pool "p" is more specific than the aggregation length for addresses fc00::/120',
    ],
    [
      "serviceSelectors with aggregation",
      {
        bgpAdvertisements: [
          aBGPAd("bgp", { aggregationLength: 24, serviceSelectors: [{ matchLabels: { a: "b" } }] }),
        ],
      },
      "serviceSelectorsWithAggregation",
      'BGPAdvertisement "bgp" spec.serviceSelectors: serviceSelectors can only be used with the default aggregation lengths (32 and 128)',
    ],
    [
      "community with a 16-bit overflow",
      { bgpAdvertisements: [aBGPAd("bgp", { communities: ["65536:1"] })] },
      "invalidCommunity",
      'BGPAdvertisement "bgp" spec.communities[0]: invalid community "65536:1" in BGP advertisement: invalid community value: invalid section "65536" of community "65536:1"',
    ],
    [
      "large community without the marker",
      { bgpAdvertisements: [aBGPAd("bgp", { communities: ["1:2:3:4"] })] },
      "invalidCommunity",
      'BGPAdvertisement "bgp" spec.communities[0]: invalid community "1:2:3:4" in BGP advertisement: invalid community value: expected community to be of format large:<uint32>:<uint32>:<uint32> but got "1:2:3:4" instead',
    ],
    [
      "unknown community alias (transient)",
      { bgpAdvertisements: [aBGPAd("bgp", { communities: ["no-export"] })] },
      "unknownCommunityAlias",
      'BGPAdvertisement "bgp" spec.communities[0]: invalid community "no-export" in BGP advertisement: not of the form A:B or large:A:B:C, and no Community object defines an alias "no-export"',
      true,
    ],
    [
      "duplicate community in an advertisement",
      { bgpAdvertisements: [aBGPAd("bgp", { communities: ["1:1", "1:1"] })] },
      "duplicateReference",
      'BGPAdvertisement "bgp" spec.communities: duplicate definition of community "1:1"',
    ],
    [
      "duplicate alias across Community objects",
      {
        communities: [
          aCommunity("c1", [{ name: "x", value: "1:1" }]),
          aCommunity("c2", [{ name: "x", value: "2:2" }]),
        ],
      },
      "duplicateCommunityAlias",
      'Community "c2" spec.communities[0].name: duplicate definition of community "x"',
    ],
    [
      "invalid alias value",
      { communities: [aCommunity("c1", [{ name: "x", value: "large:1:2" }])] },
      "invalidCommunity",
      'Community "c1" spec.communities[0].value: parsing community "x": invalid community format: large:1:2',
    ],
    [
      "conflicting LOCAL_PREF on one pool",
      {
        ipAddressPools: [pool(["10.0.0.0/24"])],
        bgpAdvertisements: [aBGPAd("a", { localPref: 100 }), aBGPAd("b", { localPref: 200 })],
        nodes: [aNode("n1")],
      },
      "localPrefConflict",
      'BGPAdvertisement "b" spec.localPref: invalid local preference 200: local preference 100 was already set for the same type of BGP update by BGPAdvertisement "a" on pool "p". Check existing BGP advertisements with common pools and aggregation lengths',
    ],
    [
      "missing local ASN",
      { bgpPeers: [aPeer("peer", { myASN: 0 })] },
      "invalidASN",
      'BGPPeer "peer" spec.myASN: missing local ASN',
    ],
    [
      "missing peer ASN",
      { bgpPeers: [aPeer("peer", { peerASN: undefined })] },
      "invalidASN",
      'BGPPeer "peer" spec.peerASN: missing peer ASN and dynamicASN',
    ],
    [
      "peer ASN and dynamicASN",
      { bgpPeers: [aPeer("peer", { dynamicASN: "external" })] },
      "invalidASN",
      'BGPPeer "peer" spec.dynamicASN: both peer ASN and dynamicASN specified',
    ],
    [
      "multihop on iBGP",
      { bgpPeers: [aPeer("peer", { peerASN: 64512, ebgpMultiHop: true })] },
      "ebgpMultiHopOnIBGP",
      'BGPPeer "peer" spec.ebgpMultiHop: invalid ebgp-multihop parameter set for an ibgp peer',
    ],
    [
      "bad peer address",
      { bgpPeers: [aPeer("peer", { peerAddress: "router.example" })] },
      "invalidPeerAddress",
      'BGPPeer "peer" spec.peerAddress: invalid BGPPeer address "router.example"',
    ],
    [
      "address and interface",
      { bgpPeers: [aPeer("peer", { interface: "eth0" })] },
      "invalidPeerAddress",
      'BGPPeer "peer" spec.peerAddress: peerAddress and interface are mutually exclusive',
    ],
    [
      "hold time below 3s",
      { bgpPeers: [aPeer("peer", { holdTime: "2s" })] },
      "invalidTimers",
      'BGPPeer "peer" spec.holdTime: invalid BGPPeer timers: invalid hold time "2s": must be 0 or >=3s',
    ],
    [
      "keepalive above hold",
      { bgpPeers: [aPeer("peer", { holdTime: "30s", keepaliveTime: "40s" })] },
      "invalidTimers",
      'BGPPeer "peer" spec.keepaliveTime: invalid BGPPeer timers: invalid keepaliveTime "40s", must be lower than holdTime "30s"',
    ],
    [
      "unparseable duration",
      { bgpPeers: [aPeer("peer", { holdTime: "ninety" })] },
      "invalidTimers",
      'BGPPeer "peer" spec.holdTime: invalid BGPPeer timers: invalid duration "ninety"',
    ],
    [
      "password and secret",
      { bgpPeers: [aPeer("peer", { password: "x", passwordSecret: { name: "s" } })] },
      "passwordConflict",
      'BGPPeer "peer" spec.password: can not have both password and secret ref set in peer config "metallb-system"/"peer"',
    ],
    [
      "bad router ID",
      { bgpPeers: [aPeer("peer", { routerID: "1.2.3" })] },
      "invalidRouterID",
      'BGPPeer "peer" spec.routerID: invalid router ID "1.2.3"',
    ],
    [
      "unknown BFD profile (transient)",
      { bgpPeers: [aPeer("peer", { bfdProfile: "nope" })] },
      "unknownBFDProfile",
      'BGPPeer "peer" spec.bfdProfile: peer peer referencing non existing bfd profile nope',
      true,
    ],
    [
      "BFD interval out of range",
      { bfdProfiles: [aBFDProfile("bfd", { receiveInterval: 5 })] },
      "bfdOutOfRange",
      'BFDProfile "bfd" spec.receiveInterval: invalid receive interval value: invalid value 5, must be in 10-60000 range',
    ],
    [
      "BFD multiplier out of range",
      { bfdProfiles: [aBFDProfile("bfd", { detectMultiplier: 256 })] },
      "bfdOutOfRange",
      'BFDProfile "bfd" spec.detectMultiplier: invalid detect multiplier value: invalid value 256, must be in 2-255 range',
    ],
    [
      "BFD echo with an IPv6 pool",
      {
        ipAddressPools: [pool(["fc00::/120"])],
        bgpAdvertisements: [aBGPAd("bgp")],
        bgpPeers: [aPeer("peer", { bfdProfile: "echo" })],
        bfdProfiles: [aBFDProfile("echo", { echoMode: true })],
      },
      "bfdEchoWithIPv6",
      'BGPAdvertisement "bgp" spec.peers: pool p has bgpadvertisement bgp which references peer peer which has bfd echo enabled, which is not possible',
    ],
  ])("%s", (_, resources, code, message, transient = false) => {
    const result = parseConfig(resources);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => [e.code, e.message, e.transient])).toEqual([[code, message, transient]]);
  });

  test("every error is reported, not just the first", () => {
    const result = parseConfig({
      ipAddressPools: [aPool("a", { addresses: [] }), aPool("b", { addresses: ["x"] })],
      bgpPeers: [aPeer("peer", { myASN: 0 })],
    });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.errors.map((e) => `${e.kind}/${e.name}:${e.code}`)).toEqual([
        "BGPPeer/peer:invalidASN",
        "IPAddressPool/a:noAddresses",
        "IPAddressPool/b:invalidAddress",
      ]);
      expect(errorSummary(result.errors)).toContain("; ");
    }
  });

  test("garbage where objects are expected never throws", () => {
    const junk = { metadata: { name: "j" }, spec: { addresses: "10.0.0.0/24" } } as never;
    expect(parseConfig({ ipAddressPools: [junk] }).ok).toBe(false);
    expect(parseConfig({ ipAddressPools: [{ metadata: { name: "k" } } as never] }).ok).toBe(false);
    expect(parseConfig({ bgpPeers: [{ metadata: { name: "k" } } as never] }).ok).toBe(false);
  });
});

describe("backend-specific rules", () => {
  test("native rejects FRR-only features", () => {
    const result = parseConfig(
      {
        bgpPeers: [aPeer("peer", { vrf: "red", keepaliveTime: "10s" })],
        communities: [aCommunity("c", [{ name: "big", value: "large:1:2:3" }])],
      },
      { backend: "native" },
    );
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.errors.map((e) => `${e.kind}/${e.field}`)).toEqual([
        "BGPPeer/spec.vrf",
        "BGPPeer/spec.keepaliveTime",
        "Community/spec.communities[0].value",
      ]);
    }
  });

  test("native rejects BGP-advertised IPv6 pools; frr rejects differing routerIDs", () => {
    const native = parseConfig(
      { ipAddressPools: [pool(["fc00::/120"])], bgpAdvertisements: [aBGPAd("bgp")] },
      { backend: "native" },
    );
    expect(native.ok ? [] : native.errors.map((e) => e.code)).toEqual(["unsupportedByBackend"]);
    const frr = parseConfig(
      {
        bgpPeers: [
          aPeer("a", { routerID: "1.1.1.1" }),
          aPeer("b", { routerID: "2.2.2.2", peerAddress: "172.18.0.6" }),
        ],
      },
      { backend: "frr" },
    );
    expect(frr.ok ? [] : frr.errors.map((e) => `${e.name}:${e.field}`)).toEqual(["b:spec.routerID"]);
  });
});
