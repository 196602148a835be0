import { describe, expect, test } from "bun:test";
import type { BgpRoute } from "../../domain/bgp/types.ts";
import { RouteReceiver, RouteSender } from "./route-delta.ts";

function route(prefix: string, communities: number[] = []): BgpRoute {
  return { prefix, family: "ipv4", localPref: undefined, communities, largeCommunities: [] };
}

describe("route deltas between threads", () => {
  test("the first set goes whole; then only new, changed and removed routes", () => {
    const sender = new RouteSender();
    const receiver = new RouteReceiver();
    const a = route("192.0.2.1/32");
    const b = route("192.0.2.2/32");
    const first = sender.delta([a, b])!;
    expect(first).toEqual({ upsert: [a, b], remove: [] });
    expect(receiver.apply(first)).toEqual([a, b]);

    const bTagged = route("192.0.2.2/32", [7]);
    const c = route("192.0.2.3/32");
    // a arrives as an equal copy: not sent again.
    const second = sender.delta([route("192.0.2.1/32"), bTagged, c])!;
    expect(second).toEqual({ upsert: [bTagged, c], remove: [] });
    expect(receiver.apply(second)).toEqual([a, bTagged, c]);

    const third = sender.delta([bTagged])!;
    expect(third).toEqual({ upsert: [], remove: ["192.0.2.1/32", "192.0.2.3/32"] });
    expect(receiver.apply(third)).toEqual([bTagged]);
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
});
