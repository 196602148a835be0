import { expect, test } from "bun:test";
import { parseFrrPeerCounts, parseRouteEvent } from "./bgp-router.ts";

test("FRR's summary: each neighbour's state and prefixes received", () => {
  const json = JSON.stringify({
    ipv4Unicast: {
      routerId: "172.18.0.254",
      peers: {
        "172.18.0.3": { state: "Established", pfxRcd: 10001, dynamicPeer: true },
        "172.18.0.100": { state: "Active" },
      },
    },
  });
  const counts = parseFrrPeerCounts(json);
  expect(counts.get("172.18.0.3")).toEqual({ state: "Established", prefixes: 10001 });
  expect(counts.get("172.18.0.100")).toEqual({ state: "Active", prefixes: 0 });
  expect(parseFrrPeerCounts("").size).toBe(0);
  const oneFamily = JSON.stringify({
    routerId: "172.18.0.254",
    peers: { "172.18.0.100": { state: "Established", pfxRcd: 7 } },
  });
  expect(parseFrrPeerCounts(oneFamily).get("172.18.0.100")?.prefixes).toBe(7);
});

test("ip monitor route: added and deleted host routes; nexthop lines and other families are not routes", () => {
  expect(parseRouteEvent("172.18.255.201 nhid 20 via 172.18.0.3 dev eth0 proto bgp metric 20 ")).toEqual({
    kind: "added",
    prefix: "172.18.255.201",
  });
  expect(parseRouteEvent("Deleted 172.18.255.201 nhid 20 proto bgp metric 20")).toEqual({
    kind: "deleted",
    prefix: "172.18.255.201",
  });
  expect(parseRouteEvent("172.18.128.0/18 via 172.18.0.3 dev eth0")?.prefix).toBe("172.18.128.0/18");
  expect(parseRouteEvent("\tnexthop via 172.18.0.4 dev eth0 weight 1")).toBeUndefined();
  expect(parseRouteEvent("local 172.18.0.254 dev eth0 table local proto kernel")).toBeUndefined();
  expect(parseRouteEvent("")).toBeUndefined();
});
