import { describe, expect, test } from "bun:test";
import type { BGPAdvertisementSpec } from "../api/bgp-advertisement.ts";
import type { BGPPeerSpec } from "../api/bgp-peer.ts";
import type { CommunityAlias } from "../api/community.ts";
import { aBGPAd, aCommunity, aNode, aPeer, aPool, validConfig } from "../config/testing.ts";
import type { Config } from "../config/types.ts";
import type { Labels } from "../selector/label-selector.ts";
import { type BgpRoutes, type BgpServiceInput, bgpRoutesFor } from "./routes.ts";
import { bgpSessionsFor } from "./sessions.ts";
import type { BgpRoute, BgpSessionSpec } from "./types.ts";

const SELF = "n1";
const NODE_LABELS: Record<string, Record<string, string>> = {
  n1: { zone: "a", role: "edge" },
  n2: { zone: "b" },
};

interface Setup {
  readonly pools?: Record<string, readonly string[]>;
  readonly ads?: Record<string, BGPAdvertisementSpec>;
  readonly peers?: Record<string, Partial<BGPPeerSpec>>;
  readonly aliases?: CommunityAlias[];
}

/** A config parsed from raw objects, this node's sessions, and a Service builder. */
function world(setup: Setup) {
  const config: Config = validConfig({
    nodes: Object.entries(NODE_LABELS).map(([name, labels]) => aNode(name, labels)),
    ipAddressPools: Object.entries(setup.pools ?? { p: ["10.0.0.0/24", "2001:db8::/120"] }).map(
      ([name, addresses]) => aPool(name, { addresses: [...addresses] }),
    ),
    bgpAdvertisements: Object.entries(setup.ads ?? { ad: {} }).map(([name, spec]) => aBGPAd(name, spec)),
    bgpPeers: Object.entries(setup.peers ?? { r1: {} }).map(([name, spec]) => aPeer(name, spec)),
    communities: setup.aliases === undefined ? [] : [aCommunity("aliases", setup.aliases)],
  });
  const sessions = bgpSessionsFor(config, { labels: NODE_LABELS[SELF] }, new Map()).sessions;
  const service = (key: string, ips: string[], labels?: Labels, pool = "p"): BgpServiceInput => {
    const found = config.pools.byName.get(pool);
    if (found === undefined) throw new Error(`no pool ${pool}`);
    return { key, ips, pool: found, labels };
  };
  const routes = (services: BgpServiceInput[], over: readonly BgpSessionSpec[] = sessions) =>
    bgpRoutesFor({ node: SELF, sessions: over, services });
  return { config, sessions, service, routes };
}

const route = (prefix: string, extra: Partial<BgpRoute> = {}): BgpRoute => ({
  prefix,
  family: prefix.includes(":") ? "ipv6" : "ipv4",
  localPref: undefined,
  communities: [],
  largeCommunities: [],
  ...extra,
});

/** Peer -> prefixes, for assertions that only look at which routes go where. */
function prefixesOf(result: BgpRoutes): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [peer, routes] of result.desired.routes) out[peer] = routes.map((r) => r.prefix);
  return out;
}

const standard = (a: number, b: number) => a * 65536 + b;

describe("bgpRoutesFor: prefixes and aggregation", () => {
  test("a Service's IP is a host route toward every session of this node", () => {
    const w = world({ peers: { r1: {}, r2: { peerAddress: "172.18.0.6" } } });
    const result = w.routes([w.service("ns/a", ["10.0.0.7"])]);
    expect(result.desired.sessions.map((s) => s.peer)).toEqual(["r1", "r2"]);
    expect(result.desired.routes).toEqual(
      new Map([
        ["r1", [route("10.0.0.7/32")]],
        ["r2", [route("10.0.0.7/32")]],
      ]),
    );
    expect(result.services.get("ns/a")).toEqual({ peers: ["r1", "r2"], reason: undefined });
  });

  test("two Services in one /24 aggregate share one route, withdrawn only when neither is announced", () => {
    const w = world({ ads: { agg: { aggregationLength: 24 } } });
    const a = w.service("ns/a", ["10.0.0.7"]);
    const b = w.service("ns/b", ["10.0.0.9"]);
    expect(prefixesOf(w.routes([a, b]))).toEqual({ r1: ["10.0.0.0/24"] });
    expect(prefixesOf(w.routes([b]))).toEqual({ r1: ["10.0.0.0/24"] });
    expect(prefixesOf(w.routes([a]))).toEqual({ r1: ["10.0.0.0/24"] });
    expect(w.routes([]).desired.routes).toEqual(new Map());
  });

  test("aggregationLengthV6 masks IPv6 addresses", () => {
    const w = world({
      ads: { agg: { aggregationLengthV6: 120 } },
      peers: { r6: { peerAddress: "2001:db8:ffff::1" } },
    });
    const result = w.routes([w.service("ns/a", ["2001:db8::7"]), w.service("ns/b", ["2001:db8::9"])]);
    expect(result.desired.routes.get("r6")).toEqual([route("2001:db8::/120")]);
  });

  test("an advertisement with the default length beside an aggregating one originates both", () => {
    const w = world({ ads: { host: {}, agg: { aggregationLength: 24 } } });
    expect(prefixesOf(w.routes([w.service("ns/a", ["10.0.0.7"])]))).toEqual({
      r1: ["10.0.0.0/24", "10.0.0.7/32"],
    });
  });

  test("routes are in prefix (code-unit) order", () => {
    const w = world({});
    const result = w.routes([w.service("ns/b", ["10.0.0.20"]), w.service("ns/a", ["10.0.0.3"])]);
    expect(prefixesOf(result)).toEqual({ r1: ["10.0.0.20/32", "10.0.0.3/32"] });
  });
});

describe("bgpRoutesFor: which advertisements, which peers", () => {
  test("`peers` limits the sessions an advertisement reaches", () => {
    const w = world({
      peers: { r1: {}, r2: { peerAddress: "172.18.0.6" }, r3: { peerAddress: "172.18.0.7" } },
      ads: { only: { peers: ["r3", "r1"] } },
    });
    const result = w.routes([w.service("ns/a", ["10.0.0.7"])]);
    expect(prefixesOf(result)).toEqual({ r1: ["10.0.0.7/32"], r3: ["10.0.0.7/32"] });
    expect(result.services.get("ns/a")?.peers).toEqual(["r1", "r3"]);
  });

  test("`peers` naming only peers without a session here: noPeerForAdvertisement", () => {
    const w = world({
      peers: { r1: {}, far: { peerAddress: "172.18.0.9", nodeSelectors: [{ matchLabels: { zone: "b" } }] } },
      ads: { only: { peers: ["far"] } },
    });
    const result = w.routes([w.service("ns/a", ["10.0.0.7"])]);
    expect(result.desired.routes).toEqual(new Map());
    expect(result.services.get("ns/a")).toEqual({ peers: [], reason: "noPeerForAdvertisement" });
  });

  test("no session on this node at all: noPeerForAdvertisement", () => {
    const w = world({});
    const result = w.routes([w.service("ns/a", ["10.0.0.7"])], []);
    expect(result.services.get("ns/a")?.reason).toBe("noPeerForAdvertisement");
  });

  test("an advertisement whose nodeSelectors leave this node out does not apply", () => {
    const w = world({
      ads: { elsewhere: { nodeSelectors: [{ matchLabels: { zone: "b" } }] } },
    });
    const result = w.routes([w.service("ns/a", ["10.0.0.7"])]);
    expect(result.desired.routes).toEqual(new Map());
    expect(result.services.get("ns/a")).toEqual({ peers: [], reason: "noMatchingAdvertisement" });
  });

  test("an advertisement whose nodeSelectors select this node applies", () => {
    const w = world({ ads: { here: { nodeSelectors: [{ matchLabels: { role: "edge" } }] } } });
    expect(prefixesOf(w.routes([w.service("ns/a", ["10.0.0.7"])]))).toEqual({ r1: ["10.0.0.7/32"] });
  });

  test("a pool without BGPAdvertisements: noMatchingAdvertisement", () => {
    const w = world({
      pools: { p: ["10.0.0.0/24"], q: ["10.1.0.0/24"] },
      ads: { onlyP: { ipAddressPools: ["p"] } },
    });
    const result = w.routes([w.service("ns/a", ["10.1.0.7"], undefined, "q")]);
    expect(result.services.get("ns/a")?.reason).toBe("noMatchingAdvertisement");
  });

  test("ipAddressPoolSelectors choose the pools an advertisement covers", () => {
    const config = validConfig({
      nodes: [aNode(SELF)],
      ipAddressPools: [
        aPool("p", { addresses: ["10.0.0.0/24"] }, { tier: "gold" }),
        aPool("q", { addresses: ["10.1.0.0/24"] }),
      ],
      bgpAdvertisements: [aBGPAd("gold", { ipAddressPoolSelectors: [{ matchLabels: { tier: "gold" } }] })],
      bgpPeers: [aPeer("r1", {})],
    });
    const sessions = bgpSessionsFor(config, { labels: {} }, new Map()).sessions;
    const pool = (name: string) => config.pools.byName.get(name) as BgpServiceInput["pool"];
    const result = bgpRoutesFor({
      node: SELF,
      sessions,
      services: [
        { key: "ns/a", ips: ["10.0.0.1"], pool: pool("p"), labels: undefined },
        { key: "ns/b", ips: ["10.1.0.1"], pool: pool("q"), labels: undefined },
      ],
    });
    expect(prefixesOf(result)).toEqual({ r1: ["10.0.0.1/32"] });
    expect(result.services.get("ns/b")?.reason).toBe("noMatchingAdvertisement");
  });

  test("serviceSelectors match the Service's labels", () => {
    const w = world({
      ads: {
        web: { serviceSelectors: [{ matchLabels: { app: "web" } }], communities: ["65000:1"] },
        plain: {},
      },
    });
    const result = w.routes([
      w.service("ns/web", ["10.0.0.1"], { app: "web" }),
      w.service("ns/db", ["10.0.0.2"], { app: "db" }),
    ]);
    expect(result.desired.routes.get("r1")).toEqual([
      route("10.0.0.1/32", { communities: [standard(65000, 1)] }),
      route("10.0.0.2/32"),
    ]);
  });

  test("only advertisements with non-matching serviceSelectors: noMatchingAdvertisement", () => {
    const w = world({ ads: { web: { serviceSelectors: [{ matchLabels: { app: "web" } }] } } });
    const result = w.routes([w.service("ns/db", ["10.0.0.2"], { app: "db" })]);
    expect(result.services.get("ns/db")).toEqual({ peers: [], reason: "noMatchingAdvertisement" });
  });

  test("ServiceBGPStatus peers: the sorted peers any of its prefixes goes to", () => {
    const w = world({
      peers: { zz: {}, aa: { peerAddress: "172.18.0.6" }, mm: { peerAddress: "172.18.0.7" } },
      ads: { toZz: { peers: ["zz"] }, toAa: { peers: ["aa"] } },
    });
    const result = w.routes([w.service("ns/a", ["10.0.0.1"])]);
    expect(result.services.get("ns/a")?.peers).toEqual(["aa", "zz"]);
  });
});

describe("bgpRoutesFor: attributes", () => {
  test("standard communities as u32, large ones as triples, sorted", () => {
    const w = world({
      ads: { ad: { communities: ["65535:65281", "large:4200000000:2:3", "1:2", "large:1:2:3"] } },
    });
    expect(w.routes([w.service("ns/a", ["10.0.0.1"])]).desired.routes.get("r1")).toEqual([
      route("10.0.0.1/32", {
        communities: [standard(1, 2), standard(65535, 65281)],
        largeCommunities: [
          { global: 1, local1: 2, local2: 3 },
          { global: 4200000000, local1: 2, local2: 3 },
        ],
      }),
    ]);
  });

  test("Community CR aliases resolve to their values", () => {
    const w = world({
      aliases: [
        { name: "no-export", value: "65535:65281" },
        { name: "big", value: "large:7:8:9" },
      ],
      ads: { ad: { communities: ["no-export", "big"] } },
    });
    expect(w.routes([w.service("ns/a", ["10.0.0.1"])]).desired.routes.get("r1")).toEqual([
      route("10.0.0.1/32", {
        communities: [standard(65535, 65281)],
        largeCommunities: [{ global: 7, local1: 8, local2: 9 }],
      }),
    ]);
  });

  test("overlapping advertisements on one prefix toward one peer union their communities", () => {
    const w = world({
      ads: {
        one: { communities: ["1:1", "2:2", "large:1:1:1"] },
        two: { communities: ["2:2", "3:3", "large:2:2:2"] },
        other: { peers: ["r2"], communities: ["9:9"] },
      },
      peers: { r1: {}, r2: { peerAddress: "172.18.0.6" } },
    });
    const result = w.routes([w.service("ns/a", ["10.0.0.1"])]);
    expect(result.desired.routes.get("r1")).toEqual([
      route("10.0.0.1/32", {
        communities: [standard(1, 1), standard(2, 2), standard(3, 3)],
        largeCommunities: [
          { global: 1, local1: 1, local2: 1 },
          { global: 2, local1: 2, local2: 2 },
        ],
      }),
    ]);
    expect(result.desired.routes.get("r2")?.[0]?.communities).toEqual([
      standard(1, 1),
      standard(2, 2),
      standard(3, 3),
      standard(9, 9),
    ]);
  });

  test("Services of two pools in one aggregate share its route, with both advertisements' attributes", () => {
    // Each address entry is wider than /26, so both pools may aggregate to /26; 10.0.0.128/26
    // holds the last address of p and the first ones of q.
    const w = world({
      pools: { p: ["10.0.0.0-10.0.0.128"], q: ["10.0.0.129-10.0.0.255"] },
      ads: {
        forP: { ipAddressPools: ["p"], aggregationLength: 26, communities: ["1:1"], localPref: 100 },
        forQ: { ipAddressPools: ["q"], aggregationLength: 26, communities: ["2:2"], localPref: 200 },
      },
    });
    const a = w.service("ns/a", ["10.0.0.128"], undefined, "p");
    const b = w.service("ns/b", ["10.0.0.129"], undefined, "q");
    const both = w.routes([a, b]);
    expect(both.desired.routes.get("r1")).toEqual([
      route("10.0.0.128/26", { localPref: 200, communities: [standard(1, 1), standard(2, 2)] }),
    ]);
    expect(both.localPrefConflicts).toEqual([
      { peer: "r1", prefix: "10.0.0.128/26", localPrefs: [100, 200] },
    ]);
    expect(w.routes([b, a])).toEqual(both);
    const onlyA = w.routes([a]);
    expect(onlyA.desired.routes.get("r1")).toEqual([
      route("10.0.0.128/26", { localPref: 100, communities: [standard(1, 1)] }),
    ]);
    expect(onlyA.localPrefConflicts).toEqual([]);
  });

  test("localPref: set when non-zero, undefined when 0 or unset", () => {
    const w = world({
      pools: { p: ["10.0.0.0/24"], q: ["10.1.0.0/24"], z: ["10.2.0.0/24"] },
      ads: {
        pref: { ipAddressPools: ["p"], localPref: 150 },
        zero: { ipAddressPools: ["z"], localPref: 0 },
        none: { ipAddressPools: ["q"] },
      },
    });
    const result = w.routes([
      w.service("ns/a", ["10.0.0.1"], undefined, "p"),
      w.service("ns/b", ["10.1.0.1"], undefined, "q"),
      w.service("ns/c", ["10.2.0.1"], undefined, "z"),
    ]);
    expect(result.desired.routes.get("r1")?.map((r) => r.localPref)).toEqual([150, undefined, undefined]);
  });

  test("localPref with an advertisement without one: the non-zero value", () => {
    const w = world({
      ads: {
        pref: { localPref: 200, serviceSelectors: [{ matchLabels: { app: "web" } }] },
        none: { communities: ["1:1"] },
      },
    });
    expect(w.routes([w.service("ns/a", ["10.0.0.1"], { app: "web" })]).desired.routes.get("r1")).toEqual([
      route("10.0.0.1/32", { localPref: 200, communities: [standard(1, 1)] }),
    ]);
  });

  test("two non-zero localPrefs meeting through serviceSelectors: the higher one, reported", () => {
    const w = world({
      ads: {
        low: { localPref: 100, serviceSelectors: [{ matchLabels: { app: "web" } }] },
        high: { localPref: 300, serviceSelectors: [{ matchLabels: { tier: "1" } }] },
      },
    });
    const result = w.routes([w.service("ns/a", ["10.0.0.1"], { app: "web", tier: "1" })]);
    expect(result.desired.routes.get("r1")?.[0]?.localPref).toBe(300);
    expect(result.localPrefConflicts).toEqual([
      { peer: "r1", prefix: "10.0.0.1/32", localPrefs: [100, 300] },
    ]);
  });
});

describe("bgpRoutesFor: address families per session", () => {
  const peers = {
    v4: {},
    v6: { peerAddress: "2001:db8:ffff::1" },
    dual: { peerAddress: "172.18.0.8", dualStackAddressFamily: true },
  };

  test("IPv4 prefixes on IPv4 and dual sessions, IPv6 prefixes on IPv6 and dual sessions", () => {
    const w = world({ peers });
    const result = w.routes([w.service("ns/a", ["10.0.0.1", "2001:db8::1"])]);
    expect(prefixesOf(result)).toEqual({
      dual: ["10.0.0.1/32", "2001:db8::1/128"],
      v4: ["10.0.0.1/32"],
      v6: ["2001:db8::1/128"],
    });
    expect(result.desired.routes.get("v6")?.[0]?.family).toBe("ipv6");
    expect(result.services.get("ns/a")?.peers).toEqual(["dual", "v4", "v6"]);
  });

  test("an IPv6 Service with only IPv4 sessions: familyNotCarried", () => {
    const w = world({ peers: { v4: {} } });
    const result = w.routes([w.service("ns/a", ["2001:db8::1"])]);
    expect(result.desired.routes).toEqual(new Map());
    expect(result.services.get("ns/a")).toEqual({ peers: [], reason: "familyNotCarried" });
  });

  test("status peers leave out the sessions that do not carry the Service's family", () => {
    const w = world({ peers });
    expect(w.routes([w.service("ns/a", ["2001:db8::1"])]).services.get("ns/a")?.peers).toEqual([
      "dual",
      "v6",
    ]);
  });

  test("no parsable IP: invalidIP", () => {
    const w = world({});
    expect(w.routes([w.service("ns/a", ["10.0.0.01"])]).services.get("ns/a")?.reason).toBe("invalidIP");
  });
});

/** A small deterministic PRNG (mulberry32), so a failure names its seed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled<T>(items: readonly T[], next: () => number): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    [copy[i], copy[j]] = [copy[j] as T, copy[i] as T];
  }
  return copy;
}

describe("bgpRoutesFor: order independence", () => {
  const w = world({
    pools: { p: ["10.0.0.0/24", "2001:db8::/120"], q: ["10.0.1.0/24"] },
    peers: {
      r1: {},
      r2: { peerAddress: "172.18.0.6", dualStackAddressFamily: true },
      r6: { peerAddress: "2001:db8:ffff::1" },
    },
    ads: {
      agg: { aggregationLength: 28, aggregationLengthV6: 124, communities: ["1:1"], peers: ["r1", "r6"] },
      host: { ipAddressPools: ["p"], communities: ["2:2", "large:1:2:3"], localPref: 50 },
      web: { serviceSelectors: [{ matchLabels: { app: "web" } }], communities: ["3:3"], localPref: 70 },
      q: { ipAddressPools: ["q"], aggregationLength: 24, communities: ["4:4"] },
    },
  });

  test("the same Services and sessions in any order give the same outcome", () => {
    const next = random(0x5eed);
    const services: BgpServiceInput[] = [];
    for (let i = 0; i < 60; i++) {
      const labels = i % 3 === 0 ? { app: "web" } : undefined;
      if (i % 4 === 3) services.push(w.service(`ns/q${i}`, [`10.0.1.${i}`], labels, "q"));
      else if (i % 5 === 0)
        services.push(w.service(`ns/d${i}`, [`10.0.0.${i}`, `2001:db8::${i.toString(16)}`], labels));
      else services.push(w.service(`ns/s${i}`, [`10.0.0.${i}`], labels));
    }
    const reference = w.routes(services);
    expect(reference.desired.routes.size).toBe(3);
    for (let round = 0; round < 25; round++) {
      const result = w.routes(shuffled(services, next), shuffled(w.sessions, next));
      expect(result).toEqual(reference);
      expect([...result.services.keys()]).toEqual([...reference.services.keys()]);
      for (const [peer, routes] of result.desired.routes) {
        expect(routes.map((r) => r.prefix)).toEqual(
          reference.desired.routes.get(peer)?.map((r) => r.prefix) ?? [],
        );
      }
    }
  });

  test("advertisement and peer objects listed in any order parse to a config with the same outcome", () => {
    const next = random(42);
    const build = (order: () => number) =>
      validConfig({
        nodes: [aNode(SELF, NODE_LABELS[SELF])],
        ipAddressPools: shuffled([aPool("p", { addresses: ["10.0.0.0/24"] })], order),
        bgpAdvertisements: shuffled(
          [
            aBGPAd("a", { communities: ["1:1"] }),
            aBGPAd("b", {
              communities: ["2:2"],
              serviceSelectors: [{ matchLabels: { app: "web" } }],
              localPref: 10,
            }),
            aBGPAd("c", { aggregationLength: 30 }),
          ],
          order,
        ),
        bgpPeers: shuffled([aPeer("x", {}), aPeer("y", { peerAddress: "172.18.0.6" })], order),
      });
    const outcome = (config: Config) => {
      const sessions = bgpSessionsFor(config, { labels: NODE_LABELS[SELF] }, new Map()).sessions;
      const pool = config.pools.byName.get("p") as BgpServiceInput["pool"];
      return bgpRoutesFor({
        node: SELF,
        sessions,
        services: [1, 2, 5].map((i) => ({
          key: `ns/${i}`,
          ips: [`10.0.0.${i}`],
          pool,
          labels: { app: "web" },
        })),
      });
    };
    const reference = outcome(build(() => 0));
    for (let round = 0; round < 10; round++) expect(outcome(build(next))).toEqual(reference);
  });
});

describe("bgpRoutesFor: the last call's routes reused", () => {
  const w = world({
    peers: { r1: {}, r2: { peerAddress: "172.18.0.6" } },
    ads: { both: { communities: ["1:1"] }, one: { peers: ["r2"], communities: ["2:2"] } },
  });
  const services = [w.service("ns/a", ["10.0.0.1"]), w.service("ns/b", ["10.0.0.2"])];
  const again = (previous: BgpRoutes, list = services) =>
    bgpRoutesFor({ node: SELF, sessions: w.sessions, services: list, previous: previous.desired.routes });

  test("an unchanged table is the last one: the same map, lists and routes", () => {
    const first = w.routes(services);
    const second = again(first);
    expect(second).toEqual(first);
    expect(second.desired.routes).toBe(first.desired.routes);
  });

  test("one Service more: new lists, the other routes the same objects, equal to a fresh call", () => {
    const first = w.routes(services);
    const more = [...services, w.service("ns/c", ["10.0.0.3"])];
    const second = again(first, more);
    expect(second).toEqual(w.routes(more));
    for (const peer of ["r1", "r2"]) {
      const before = first.desired.routes.get(peer) ?? [];
      const after = second.desired.routes.get(peer) ?? [];
      expect(after).not.toBe(before);
      expect(after.filter((r) => before.includes(r)).map((r) => r.prefix)).toEqual([
        "10.0.0.1/32",
        "10.0.0.2/32",
      ]);
    }
  });

  test("changed attributes make new routes; a peer whose routes did not change keeps its list", () => {
    const first = w.routes(services);
    const changed = world({
      peers: { r1: {}, r2: { peerAddress: "172.18.0.6" } },
      ads: { both: { communities: ["1:1"] }, one: { peers: ["r2"], communities: ["3:3"] } },
    });
    const list = [changed.service("ns/a", ["10.0.0.1"]), changed.service("ns/b", ["10.0.0.2"])];
    const second = bgpRoutesFor({
      node: SELF,
      sessions: changed.sessions,
      services: list,
      previous: first.desired.routes,
    });
    expect(second).toEqual(changed.routes(list));
    expect(second.desired.routes.get("r2")?.[0]?.communities).toEqual([65536 + 1, 3 * 65536 + 3]);
  });

  test("a peer gone or added: equal to a fresh call", () => {
    const first = w.routes(services);
    const onlyR1 = w.sessions.filter((s) => s.peer === "r1");
    const fewer = bgpRoutesFor({ node: SELF, sessions: onlyR1, services, previous: first.desired.routes });
    expect(fewer).toEqual(w.routes(services, onlyR1));
    expect(fewer.desired.routes.get("r1")).toBe(first.desired.routes.get("r1") as BgpRoute[]);
    const back = bgpRoutesFor({
      node: SELF,
      sessions: w.sessions,
      services,
      previous: fewer.desired.routes,
    });
    expect(back).toEqual(first);
  });
});
