import { expect, test } from "bun:test";
import { parseZebraRoutes } from "./zebra-routes.ts";

// The shape FRR 8.4's zebra prints for `show ip route json` (fields trimmed).
const SAMPLE = JSON.stringify({
  "172.18.0.0/16": [
    {
      prefix: "172.18.0.0/16",
      protocol: "connected",
      selected: true,
      nexthops: [{ fib: true, directlyConnected: true, interfaceName: "eth0", active: true }],
    },
  ],
  "172.18.255.200/32": [
    {
      prefix: "172.18.255.200/32",
      protocol: "bgp",
      selected: true,
      installed: true,
      nexthops: [
        { fib: true, ip: "172.18.0.5", afi: "ipv4", interfaceName: "eth0", active: true },
        { fib: true, ip: "172.18.0.3", afi: "ipv4", interfaceName: "eth0", active: true },
        { ip: "172.18.0.9", afi: "ipv4", interfaceName: "eth0" },
      ],
    },
  ],
  "172.18.255.201/32": [{ prefix: "172.18.255.201/32", protocol: "bgp", nexthops: [{ ip: "172.18.0.3" }] }],
});

test("the selected route's installed next hops, sorted; unselected prefixes left out", () => {
  const routes = parseZebraRoutes(SAMPLE);
  expect(routes.get("172.18.255.200/32")).toEqual({
    protocol: "bgp",
    nexthops: ["172.18.0.3", "172.18.0.5"],
  });
  expect(routes.get("172.18.0.0/16")).toEqual({ protocol: "connected", nexthops: [] });
  expect(routes.has("172.18.255.201/32")).toBe(false);
});

test("bad input gives an empty map, never a throw", () => {
  expect(parseZebraRoutes("not json").size).toBe(0);
  expect(parseZebraRoutes("null").size).toBe(0);
  expect(parseZebraRoutes('{"p": 3, "q": [null]}').size).toBe(0);
});
