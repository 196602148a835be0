import { describe, expect, test } from "bun:test";
import type { BgpRoute } from "../../domain/bgp/types.ts";
import { AdjRibOut, prefixOf } from "./rib-out.ts";

function route(prefix: string, overrides: Partial<BgpRoute> = {}): BgpRoute {
  return {
    prefix,
    family: prefix.includes(":") ? "ipv6" : "ipv4",
    localPref: undefined,
    communities: [],
    largeCommunities: [],
    ...overrides,
  };
}

const v4 = ["ipv4-unicast"] as const;
const both = ["ipv4-unicast", "ipv6-unicast"] as const;

describe("AdjRibOut", () => {
  test("update by difference changes the set as setDesired with the whole new set does", () => {
    const whole = new AdjRibOut();
    const delta = new AdjRibOut();
    const first = [route("10.0.0.1/32"), route("10.0.0.2/32"), route("10.0.0.3/32")];
    whole.setDesired(first);
    delta.update(first, []);
    expect(delta.takeChanges(v4)).toEqual(whole.takeChanges(v4));
    const tagged = route("10.0.0.2/32", { communities: [7] });
    const bad = route("10.0.0.3/99");
    whole.setDesired([route("10.0.0.1/32"), tagged, route("10.0.0.4/32"), bad]);
    delta.update([tagged, route("10.0.0.4/32"), bad], ["10.0.0.3/32"]);
    expect(delta.takeChanges(v4)).toEqual(whole.takeChanges(v4));
    expect(delta.pendingCount(v4)).toBe(0);
    expect(delta.announcedCount()).toBe(whole.announcedCount());
  });

  test("first change announces everything, grouped by shared attributes", () => {
    const rib = new AdjRibOut();
    rib.setDesired([
      route("10.0.0.1/32"),
      route("10.0.0.2/32"),
      route("10.0.0.3/32", { communities: [65535 << 16] }),
    ]);
    const changes = rib.takeChanges(v4);
    expect(changes.withdraw).toEqual([]);
    expect(changes.announce.map((g) => g.prefixes.map((p) => p.address))).toEqual([
      ["10.0.0.1", "10.0.0.2"],
      ["10.0.0.3"],
    ]);
    expect(rib.announcedCount()).toBe(3);
    expect(rib.pendingCount(v4)).toBe(0);
  });

  test("the same set again sends nothing", () => {
    const rib = new AdjRibOut();
    rib.setDesired([route("10.0.0.1/32")]);
    rib.takeChanges(v4);
    rib.setDesired([route("10.0.0.1/32")]);
    expect(rib.takeChanges(v4)).toEqual({ announce: [], withdraw: [] });
  });

  test("only the difference: new and changed announced, removed withdrawn", () => {
    const rib = new AdjRibOut();
    rib.setDesired([route("10.0.0.1/32"), route("10.0.0.2/32"), route("10.0.0.3/32")]);
    rib.takeChanges(v4);
    rib.setDesired([route("10.0.0.1/32"), route("10.0.0.3/32", { communities: [1] }), route("10.0.0.4/32")]);
    expect(rib.pendingCount(v4)).toBe(3);
    const changes = rib.takeChanges(v4);
    expect(changes.announce.flatMap((g) => g.prefixes.map((p) => p.address)).sort()).toEqual([
      "10.0.0.3",
      "10.0.0.4",
    ]);
    expect(changes.withdraw).toEqual([
      { family: "ipv4-unicast", prefixes: [{ family: "ipv4", address: "10.0.0.2", length: 32 }] },
    ]);
    expect(rib.announcedCount()).toBe(3);
  });

  test("a family not negotiated is never sent and stays out of pending", () => {
    const rib = new AdjRibOut();
    rib.setDesired([route("10.0.0.1/32"), route("2001:db8::1/128")]);
    const changes = rib.takeChanges(v4);
    expect(changes.announce.map((g) => g.family)).toEqual(["ipv4-unicast"]);
    expect(rib.pendingCount(v4)).toBe(0);
    expect(rib.pendingCount(both)).toBe(1);
  });

  test("reset forgets what the peer held: everything is sent again", () => {
    const rib = new AdjRibOut();
    rib.setDesired([route("10.0.0.1/32")]);
    rib.takeChanges(v4);
    rib.reset();
    expect(rib.announcedCount()).toBe(0);
    expect(rib.takeChanges(v4).announce).toHaveLength(1);
  });

  test("fullTable resends one family whole", () => {
    const rib = new AdjRibOut();
    rib.setDesired([route("10.0.0.1/32"), route("2001:db8::/64")]);
    rib.takeChanges(both);
    const table = rib.fullTable("ipv6-unicast");
    expect(table.announce.map((g) => g.prefixes)).toEqual([
      [{ family: "ipv6", address: "2001:db8::", length: 64 }],
    ]);
  });

  test("prefixOf rejects what is not a prefix", () => {
    expect(prefixOf(route("10.0.0.1"))).toBeUndefined();
    expect(prefixOf(route("10.0.0.1/33"))).toBeUndefined();
    expect(prefixOf(route("2001:db8::/129"))).toBeUndefined();
  });
});
