import { describe, expect, test } from "bun:test";
import type { BgpRoute } from "../../domain/bgp/types.ts";
import type { Family } from "./codec/types.ts";
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

  test("routes with equal attributes share one attribute set; unused sets are dropped", () => {
    const rib = new AdjRibOut();
    rib.setDesired([route("10.0.0.1/32", { communities: [5] }), route("10.0.0.2/32", { communities: [5] })]);
    expect(rib.attributeSetCount()).toBe(1);
    const [first] = rib.takeChanges(v4).announce;
    expect(first?.attributes.communities).toEqual([5]);
    expect(first?.prefixes.map((p) => p.address)).toEqual(["10.0.0.1", "10.0.0.2"]);
    // One prefix re-tagged 500 times, taken each time: the pool stays bounded and each change is sent.
    for (let tag = 0; tag < 500; tag++) {
      rib.update([route("10.0.0.1/32", { communities: [1000 + tag] })], []);
      const changes = rib.takeChanges(v4);
      expect(changes.announce.map((g) => [g.attributes.communities, g.prefixes.length])).toEqual([
        [[1000 + tag], 1],
      ]);
    }
    expect(rib.attributeSetCount()).toBeLessThanOrEqual(64);
    // The untouched prefix kept its set: equal again, nothing to send.
    rib.update([route("10.0.0.2/32", { communities: [5] })], []);
    expect(rib.takeChanges(v4)).toEqual({ announce: [], withdraw: [] });
  });

  test("over random histories it sends what a plain wanted/sent model sends", () => {
    let seed = 7;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const prefixes = ["10.0.0.1/32", "10.0.0.2/32", "10.0.0.3/32", "2001:db8::1/128", "10.0.0.9/99"];
    const someRoute = () => route(prefixes[random(prefixes.length)] as string, { communities: [random(3)] });
    // The model: what we want and what the peer holds, by prefix, as attribute keys.
    const key = (r: BgpRoute) => r.communities.join(",");
    let wanted = new Map<string, BgpRoute>();
    const held = new Map<string, string>();
    const rib = new AdjRibOut();
    const sentText = (changes: ReturnType<AdjRibOut["takeChanges"]>) => [
      ...changes.announce.flatMap((g) =>
        g.prefixes.map((p) => `+${p.address}/${p.length}:${g.attributes.communities.join(",")}`),
      ),
      ...changes.withdraw.flatMap((w) => w.prefixes.map((p) => `-${p.address}/${p.length}`)),
    ];
    for (let step = 0; step < 3000; step++) {
      const families: readonly Family[] = random(2) === 0 ? v4 : both;
      const op = random(5);
      if (op === 0) {
        const routes = Array.from({ length: random(4) }, someRoute);
        rib.setDesired(routes);
        wanted = new Map(routes.filter((r) => prefixOf(r)).map((r) => [r.prefix, r]));
      } else if (op === 1) {
        const upsert = Array.from({ length: random(3) }, someRoute);
        const remove = Array.from({ length: random(2) }, () => prefixes[random(prefixes.length)] as string);
        rib.update(upsert, remove);
        for (const p of remove) wanted.delete(p);
        for (const r of upsert) {
          if (prefixOf(r)) wanted.set(r.prefix, r);
          else wanted.delete(r.prefix);
        }
      } else if (op === 2) {
        rib.reset();
        held.clear();
      } else {
        const expected: string[] = [];
        for (const [p, r] of wanted) {
          const family = r.family === "ipv4" ? "ipv4-unicast" : "ipv6-unicast";
          if (!families.includes(family) || held.get(p) === key(r)) continue;
          expected.push(`+${p}:${key(r)}`);
          held.set(p, key(r));
        }
        for (const p of [...held.keys()]) {
          if (wanted.has(p)) continue;
          held.delete(p);
          expected.push(`-${p}`);
        }
        expect(sentText(rib.takeChanges(families)).sort()).toEqual(expected.sort());
      }
      expect(rib.announcedCount()).toBe(held.size);
      const pending =
        [...wanted].filter(([p, r]) => {
          const family = r.family === "ipv4" ? "ipv4-unicast" : "ipv6-unicast";
          return families.includes(family) && held.get(p) !== key(r);
        }).length + [...held.keys()].filter((p) => !wanted.has(p)).length;
      expect(rib.pendingCount(families)).toBe(pending);
    }
  });

  test("prefixOf rejects what is not a prefix", () => {
    expect(prefixOf(route("10.0.0.1"))).toBeUndefined();
    expect(prefixOf(route("10.0.0.1/33"))).toBeUndefined();
    expect(prefixOf(route("2001:db8::/129"))).toBeUndefined();
  });
});
