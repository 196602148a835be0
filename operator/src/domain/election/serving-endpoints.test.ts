import { describe, expect, test } from "bun:test";
import type { EndpointConditions, EndpointSlice } from "../api/core.ts";
import { nodeFactsOf } from "./node-facts.ts";
import {
  endpointCanServe,
  NO_SLICES,
  SlicesByService,
  sameSlices,
  servingEndpointsByService,
} from "./serving-endpoints.ts";

describe("endpointCanServe", () => {
  test.each<[string, EndpointConditions | undefined, boolean]>([
    ["no conditions (unknown = ready)", undefined, true],
    ["ready unset", {}, true],
    ["ready null", { ready: null }, true],
    ["ready", { ready: true }, true],
    ["not ready", { ready: false }, false],
    ["not ready, not serving", { ready: false, serving: false }, false],
    ["terminating but serving", { ready: false, serving: true, terminating: true }, true],
    ["not ready, serving unset", { ready: false, serving: null }, false],
  ])("%s", (_name, conditions, expected) => {
    expect(endpointCanServe(conditions)).toBe(expected);
  });
});

function slice(
  namespace: string,
  service: string | undefined,
  endpoints: { node?: string; ready?: boolean; serving?: boolean }[],
): EndpointSlice {
  return {
    metadata: {
      namespace,
      name: `${service}-x`,
      labels: service === undefined ? {} : { "kubernetes.io/service-name": service },
    },
    endpoints: endpoints.map((e) => ({
      addresses: ["10.244.0.1"],
      nodeName: e.node,
      conditions: { ready: e.ready, serving: e.serving },
    })),
  };
}

describe("servingEndpointsByService", () => {
  test("merges slices per Service and keeps only nodes with a serving endpoint", () => {
    const slices = [
      slice("default", "web", [{ node: "a" }, { node: "b", ready: false }]),
      slice("default", "web", [{ node: "c", ready: false, serving: true }]),
      slice("other", "web", [{ node: "d", ready: false }]),
      slice("default", "nodeless", [{}]),
      slice("default", undefined, [{ node: "z" }]),
    ];
    const grouped = [...new SlicesByService(slices).entries()].map(([ns, name]) => `${ns}/${name}`);
    expect(grouped.sort()).toEqual(["default/nodeless", "default/web", "other/web"]);
    const out = servingEndpointsByService(slices);
    expect(out.get("default", "web")).toEqual({ any: true, nodes: new Set(["a", "c"]) });
    expect(out.get("other", "web")).toEqual({ any: false, nodes: new Set() });
    expect(out.get("default", "nodeless")).toEqual({ any: true, nodes: new Set() });
    expect(out.get("default", "absent")).toBeUndefined();
  });

  test("tolerates slices with null or missing endpoints", () => {
    const out = servingEndpointsByService([
      { metadata: { namespace: "n", labels: { "kubernetes.io/service-name": "s" } }, endpoints: null },
      { metadata: { namespace: "n", labels: { "kubernetes.io/service-name": "t" } } },
    ]);
    expect(out.get("n", "s")).toEqual({ any: false, nodes: new Set() });
    expect(out.get("n", "t")).toEqual({ any: false, nodes: new Set() });
  });
});

describe("SlicesByService", () => {
  test("a Service's one slice is the slice itself; more are a list in the given order", () => {
    const a = slice("default", "web", [{ node: "a" }]);
    const b = slice("default", "web", [{ node: "b" }]);
    const c = slice("default", "api", [{ node: "c" }]);
    const grouped = new SlicesByService([a, c, b]);
    expect(grouped.of("default", "api")).toBe(c);
    expect(grouped.of("default", "web")).toEqual([a, b]);
    expect(grouped.of("other", "web")).toBe(NO_SLICES);
    // Grouped again from the same objects: the same slices (what the decision memo compares).
    const again = new SlicesByService([a, c, b]);
    expect(sameSlices(grouped.of("default", "api"), again.of("default", "api"))).toBe(true);
    expect(sameSlices(grouped.of("default", "web"), again.of("default", "web"))).toBe(true);
    expect(sameSlices(grouped.of("default", "web"), new SlicesByService([b, a]).of("default", "web"))).toBe(
      false,
    );
    expect(sameSlices(c, a)).toBe(false);
    expect(sameSlices(c, [c])).toBe(false);
    expect(sameSlices(NO_SLICES, [])).toBe(true);
  });
});

describe("nodeFactsOf", () => {
  test.each([
    [{ metadata: { name: "n" } }, { networkUnavailable: false, excludedFromLoadBalancers: false }],
    [
      { metadata: { name: "n" }, status: { conditions: [{ type: "NetworkUnavailable", status: "True" }] } },
      { networkUnavailable: true, excludedFromLoadBalancers: false },
    ],
    [
      { metadata: { name: "n" }, status: { conditions: [{ type: "NetworkUnavailable", status: "False" }] } },
      { networkUnavailable: false, excludedFromLoadBalancers: false },
    ],
    [
      { metadata: { name: "n", labels: { "node.kubernetes.io/exclude-from-external-load-balancers": "" } } },
      { networkUnavailable: false, excludedFromLoadBalancers: true },
    ],
  ])("%#", (node, expected) => {
    expect(nodeFactsOf(node)).toMatchObject(expected);
  });
});
