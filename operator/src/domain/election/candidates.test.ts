import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import type { LabelSelector } from "../api/label-selector.ts";
import type { L2AdvertisementConfig } from "../config/types.ts";
import { compileSelector } from "../selector/label-selector.ts";
import { electionHash, type L2ElectionInput, type L2Exclusion, l2Candidates } from "./candidates.ts";
import type { NodeFacts } from "./node-facts.ts";
import { l2OwnerFor } from "./owner.ts";

// With 10.0.0.1, sha256(node#ip) orders the four nodes a, c, b, d (checked below with node:crypto).
const ALL = ["a", "b", "c", "d"];

function selector(s: LabelSelector) {
  const compiled = compileSelector(s);
  if (!compiled.ok) throw new Error(compiled.error);
  return compiled.value;
}

function ad(o: { nodes?: string[]; prefer?: [number, LabelSelector][] } = {}): L2AdvertisementConfig {
  return {
    name: "ad",
    nodes: new Set(o.nodes ?? ALL),
    interfaces: [],
    allInterfaces: true,
    serviceSelectors: [],
    preferredNodeSelectors: (o.prefer ?? []).map(([weight, s]) => ({ weight, selector: selector(s) })),
  };
}

function node(name: string, o: Partial<NodeFacts> = {}): NodeFacts {
  return { name, labels: {}, networkUnavailable: false, excludedFromLoadBalancers: false, ...o };
}

function input(o: Partial<L2ElectionInput> = {}): L2ElectionInput {
  return {
    firstIP: "10.0.0.1",
    advertisements: [ad()],
    members: new Set(ALL),
    nodes: new Map(ALL.map((n) => [n, node(n)])),
    endpoints: { any: true, nodes: new Set() },
    externalTrafficPolicyLocal: false,
    ignoreExcludeLB: false,
    ...o,
  };
}

const withNode = (facts: NodeFacts) => new Map(ALL.map((n) => [n, n === facts.name ? facts : node(n)]));

describe("l2Candidates", () => {
  test("the hash is sha256(node + '#' + ip) as node:crypto computes it", () => {
    for (const n of ALL)
      expect(electionHash(n, "10.0.0.1")).toBe(createHash("sha256").update(`${n}#10.0.0.1`).digest("hex"));
  });

  const cases: {
    name: string;
    input: L2ElectionInput;
    ranked: string[];
    excluded?: Record<string, L2Exclusion>;
  }[] = [
    { name: "every node eligible: hash order", input: input(), ranked: ["a", "c", "b", "d"] },
    {
      name: "another IP, another order",
      input: input({ firstIP: "10.0.0.2" }),
      ranked: ["b", "d", "c", "a"],
    },
    { name: "IPv6 seed", input: input({ firstIP: "fd00::1" }), ranked: ["b", "a", "d", "c"] },
    {
      name: "only live members",
      input: input({ members: new Set(["b", "c", "d"]) }),
      ranked: ["c", "b", "d"],
      excluded: { a: "notMember" },
    },
    {
      name: "membership disabled: every known node",
      input: input({ members: undefined }),
      ranked: ["a", "c", "b", "d"],
    },
    {
      name: "a member without a Node object is not selected by any advertisement",
      input: input({ members: new Set([...ALL, "e"]) }),
      ranked: ["a", "c", "b", "d"],
      excluded: { e: "notSelectedByAdvertisement" },
    },
    {
      name: "nodeSelectors narrow the set",
      input: input({ advertisements: [ad({ nodes: ["b", "d"] })] }),
      ranked: ["b", "d"],
      excluded: { a: "notSelectedByAdvertisement", c: "notSelectedByAdvertisement" },
    },
    {
      name: "several advertisements: union of their nodes",
      input: input({ advertisements: [ad({ nodes: ["b"] }), ad({ nodes: ["d"] })] }),
      ranked: ["b", "d"],
      excluded: { a: "notSelectedByAdvertisement", c: "notSelectedByAdvertisement" },
    },
    {
      name: "no advertisement covers the Service: nobody",
      input: input({ advertisements: [] }),
      ranked: [],
      excluded: {
        a: "notSelectedByAdvertisement",
        b: "notSelectedByAdvertisement",
        c: "notSelectedByAdvertisement",
        d: "notSelectedByAdvertisement",
      },
    },
    {
      name: "NetworkUnavailable node dropped",
      input: input({ nodes: withNode(node("a", { networkUnavailable: true })) }),
      ranked: ["c", "b", "d"],
      excluded: { a: "nodeNetworkUnavailable" },
    },
    {
      name: "exclude-from-external-load-balancers node dropped",
      input: input({ nodes: withNode(node("a", { excludedFromLoadBalancers: true })) }),
      ranked: ["c", "b", "d"],
      excluded: { a: "nodeLabeledExcludeBalancers" },
    },
    {
      name: "--ignore-exclude-lb keeps it",
      input: input({
        nodes: withNode(node("a", { excludedFromLoadBalancers: true })),
        ignoreExcludeLB: true,
      }),
      ranked: ["a", "c", "b", "d"],
    },
    {
      name: "ETP Local: only nodes with a serving endpoint",
      input: input({
        externalTrafficPolicyLocal: true,
        endpoints: { any: true, nodes: new Set(["b", "d"]) },
      }),
      ranked: ["b", "d"],
      excluded: { a: "noLocalEndpoints", c: "noLocalEndpoints" },
    },
    {
      name: "ETP Local, serving endpoints on no known node: nobody",
      input: input({ externalTrafficPolicyLocal: true, endpoints: { any: true, nodes: new Set(["x"]) } }),
      ranked: [],
      excluded: {
        a: "noLocalEndpoints",
        b: "noLocalEndpoints",
        c: "noLocalEndpoints",
        d: "noLocalEndpoints",
      },
    },
    {
      name: "ETP Cluster ignores where the endpoints are",
      input: input({ endpoints: { any: true, nodes: new Set(["d"]) } }),
      ranked: ["a", "c", "b", "d"],
    },
    {
      name: "no serving endpoint anywhere: nobody",
      input: input({ endpoints: { any: false, nodes: new Set() } }),
      ranked: [],
      excluded: { a: "noEndpoints", b: "noEndpoints", c: "noEndpoints", d: "noEndpoints" },
    },
    {
      name: "first failing rule is reported (not a member and NetworkUnavailable)",
      input: input({
        members: new Set(["b", "c", "d"]),
        nodes: withNode(node("a", { networkUnavailable: true })),
      }),
      ranked: ["c", "b", "d"],
      excluded: { a: "notMember" },
    },
    {
      name: "preferredNodeSelectors: weight before hash",
      input: input({
        nodes: new Map(ALL.map((n) => [n, node(n, { labels: n === "d" ? { tier: "edge" } : {} })])),
        advertisements: [ad({ prefer: [[10, { matchLabels: { tier: "edge" } }]] })],
      }),
      ranked: ["d", "a", "c", "b"],
    },
    {
      name: "preferred weights are summed over selectors and advertisements",
      input: input({
        nodes: new Map([
          ["a", node("a", { labels: { zone: "z1" } })],
          ["b", node("b", { labels: { zone: "z2", ssd: "yes" } })],
          ["c", node("c", { labels: { zone: "z2" } })],
          ["d", node("d", { labels: { ssd: "yes" } })],
        ]),
        advertisements: [
          ad({ prefer: [[30, { matchLabels: { zone: "z2" } }]] }),
          ad({ prefer: [[20, { matchLabels: { ssd: "yes" } }]] }),
        ],
      }),
      // b: 50, c: 30, d: 20, a: 0.
      ranked: ["b", "c", "d", "a"],
    },
    {
      name: "a preferred node that is not eligible gains nothing",
      input: input({
        members: new Set(["a", "b", "c"]),
        nodes: new Map(ALL.map((n) => [n, node(n, { labels: n === "d" ? { tier: "edge" } : {} })])),
        advertisements: [ad({ prefer: [[100, { matchLabels: { tier: "edge" } }]] })],
      }),
      ranked: ["a", "c", "b"],
      excluded: { d: "notMember" },
    },
    {
      name: "equal weights fall back to the hash",
      input: input({
        nodes: new Map(ALL.map((n) => [n, node(n, { labels: { any: "x" } })])),
        advertisements: [ad({ prefer: [[5, { matchLabels: { any: "x" } }]] })],
      }),
      ranked: ["a", "c", "b", "d"],
    },
  ];

  test.each(cases)("$name", ({ input, ranked, excluded }) => {
    const out = l2Candidates(input);
    expect(out.ranked.map((c) => c.node)).toEqual(ranked);
    expect(Object.fromEntries(out.excluded)).toEqual(excluded ?? {});
  });
});

describe("l2OwnerFor", () => {
  const candidates = l2Candidates(input());

  test.each([
    { name: "revertive: the first ranked", current: undefined, owner: "a" },
    { name: "non-revertive: the current owner while it is a candidate", current: "b", owner: "b" },
    { name: "non-revertive: a current owner that is no candidate is ignored", current: "x", owner: "a" },
    { name: "several possible owners: the best-ranked of them", current: ["d", "b"], owner: "b" },
    { name: "an empty list is revertive", current: [], owner: "a" },
  ])("$name", ({ current, owner }) => {
    expect(l2OwnerFor(candidates, current)).toBe(owner);
  });

  test("no candidate, no owner (whatever the current one)", () => {
    const none = l2Candidates(input({ endpoints: { any: false, nodes: new Set() } }));
    expect(l2OwnerFor(none)).toBeUndefined();
    expect(l2OwnerFor(none, "a")).toBeUndefined();
  });
});

describe("l2Candidates: the hash order memo", () => {
  const byCrypto = (nodes: string[], ip: string) =>
    [...nodes].sort((x, y) => {
      const hx = createHash("sha256").update(`${x}#${ip}`).digest("hex");
      const hy = createHash("sha256").update(`${y}#${ip}`).digest("hex");
      return hx < hy ? -1 : 1;
    });

  test("stays right when the node universe grows, shrinks and changes for one IP", () => {
    const universes = [
      ["a", "b"],
      ["a", "b", "c", "d", "e", "f"],
      ["c", "f"],
      ["a", "b"],
      ["x", "y", "z", "a"],
    ];
    for (const names of universes) {
      const facts = new Map(names.map((n) => [n, node(n)]));
      const out = l2Candidates(
        input({
          firstIP: "192.0.2.7",
          nodes: facts,
          members: new Set(names),
          advertisements: [ad({ nodes: names })],
        }),
      );
      expect(out.ranked.map((c) => c.node)).toEqual(byCrypto(names, "192.0.2.7"));
    }
  });
});
