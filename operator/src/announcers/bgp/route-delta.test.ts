import { describe, expect, test } from "bun:test";
import type { BgpRoute } from "../../domain/bgp/types.ts";
import { type RouteDelta, RouteSender } from "./route-delta.ts";

function route(prefix: string, communities: number[] = []): BgpRoute {
  return { prefix, family: "ipv4", localPref: undefined, communities, largeCommunities: [] };
}

/** What the Worker's side holds after a delta: prefix -> route. */
function fold(held: Map<string, BgpRoute>, delta: RouteDelta): BgpRoute[] {
  for (const prefix of delta.remove) held.delete(prefix);
  for (const r of delta.upsert) held.set(r.prefix, r);
  return [...held.values()].sort((x, y) => (x.prefix < y.prefix ? -1 : 1));
}

describe("route deltas between threads", () => {
  test("the first set goes whole; then only new, changed and removed routes", () => {
    const sender = new RouteSender();
    const held = new Map<string, BgpRoute>();
    const a = route("192.0.2.1/32");
    const b = route("192.0.2.2/32");
    const first = sender.delta([a, b])!;
    expect(first).toEqual({ upsert: [a, b], remove: [] });
    expect(fold(held, first)).toEqual([a, b]);

    const bTagged = route("192.0.2.2/32", [7]);
    const c = route("192.0.2.3/32");
    // a arrives as an equal copy: not sent again.
    const second = sender.delta([route("192.0.2.1/32"), bTagged, c])!;
    expect(second).toEqual({ upsert: [bTagged, c], remove: [] });
    expect(fold(held, second)).toEqual([a, bTagged, c]);

    const third = sender.delta([bTagged])!;
    expect(third).toEqual({ upsert: [], remove: ["192.0.2.1/32", "192.0.2.3/32"] });
    expect(fold(held, third)).toEqual([bTagged]);
  });

  test("nothing to send for the same array or equal routes", () => {
    const sender = new RouteSender();
    const routes = [route("192.0.2.1/32")];
    expect(sender.delta(routes)).toBeDefined();
    expect(sender.delta(routes)).toBeUndefined();
    expect(sender.delta([route("192.0.2.1/32")])).toBeUndefined();
    expect(sender.delta([])).toEqual({ upsert: [], remove: ["192.0.2.1/32"] });
    expect(sender.delta([])).toBeUndefined();
  });

  test("a family change is a change", () => {
    const sender = new RouteSender();
    sender.delta([route("192.0.2.1/32")]);
    const v6: BgpRoute = { ...route("192.0.2.1/32"), family: "ipv6" };
    expect(sender.delta([v6])).toEqual({ upsert: [v6], remove: [] });
  });

  test("lists in any order (and with a prefix twice) fold to the same set as sorted ones", () => {
    let seed = 7;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    const sorted = new RouteSender();
    const shuffled = new RouteSender();
    const heldSorted = new Map<string, BgpRoute>();
    const heldShuffled = new Map<string, BgpRoute>();
    for (let round = 0; round < 40; round++) {
      const byPrefix = new Map<string, BgpRoute>();
      for (let i = 0; i < 12; i++) {
        if (next() < 0.5) continue;
        byPrefix.set(`192.0.2.${i}/32`, route(`192.0.2.${i}/32`, next() < 0.3 ? [1] : []));
      }
      const list = [...byPrefix.values()].sort((x, y) => (x.prefix < y.prefix ? -1 : 1));
      const mixed = [...list].sort(() => next() - 0.5);
      if (mixed.length > 0 && round % 5 === 0) mixed.unshift(route(mixed[0]!.prefix, [9]));
      const want = fold(heldSorted, sorted.delta(list) ?? { upsert: [], remove: [] });
      const got = fold(heldShuffled, shuffled.delta(mixed) ?? { upsert: [], remove: [] });
      expect(got).toEqual(want);
    }
  });
});
