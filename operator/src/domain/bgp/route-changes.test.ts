import { describe, expect, test } from "bun:test";
import { changedRouteCount } from "./route-changes.ts";
import type { BgpRoute } from "./types.ts";

const route = (prefix: string, localPref?: number): BgpRoute => ({
  prefix,
  family: "ipv4",
  localPref,
  communities: [],
  largeCommunities: [],
});

describe("changedRouteCount", () => {
  const a = route("10.0.0.1/32");
  const b = route("10.0.0.2/32");
  const c = route("10.0.0.3/32");
  const before = new Map([
    ["r1", [a, b, c]],
    ["r2", [a]],
  ]);

  test("the same lists, or the same map: nothing changed", () => {
    expect(changedRouteCount(before, before)).toBe(0);
    expect(changedRouteCount(before, new Map(before))).toBe(0);
  });

  test("counts new, changed and gone routes per peer", () => {
    const b2 = route("10.0.0.2/32", 200);
    const d = route("10.0.0.4/32");
    const after = new Map([
      // b changed, c gone, d new: 3
      ["r1", [a, b2, d]],
      // r2 gone: 1; r3 new with two routes: 2
      ["r3", [a, b]],
    ]);
    expect(changedRouteCount(before, after)).toBe(6);
    expect(changedRouteCount(undefined, after)).toBe(5);
    expect(changedRouteCount(after, new Map())).toBe(5);
  });

  test("10k routes to a new peer: 10k", () => {
    const many = Array.from({ length: 10_000 }, (_, i) =>
      route(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32`),
    ).sort((x, y) => (x.prefix < y.prefix ? -1 : 1));
    const one = new Map([["r1", many]]);
    expect(changedRouteCount(one, new Map([...one, ["r2", many]]))).toBe(10_000);
  });
});
