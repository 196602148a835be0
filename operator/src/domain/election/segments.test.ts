import { expect, test } from "bun:test";
import { membersElecting, segmentViews } from "./segments.ts";

const all = new Set(["a", "b", "c"]);
const segments = segmentViews([
  { ifname: "eth1", prefixes: ["172.19.0.0/24", "fd00:19::/64"], members: ["b", "c"] },
  { ifname: "eth2", prefixes: ["172.19.0.128/25"], members: ["a"] },
  { ifname: "eth3", prefixes: ["not a cidr"], members: [] },
]);

test("an IP in one segment's subnets is elected by that segment's members, IPv6 too", () => {
  expect([...membersElecting("172.19.0.5", all, segments)!]).toEqual(["b", "c"]);
  expect([...membersElecting("fd00:19::7", all, segments)!]).toEqual(["b", "c"]);
});

test("in several segments' subnets: every member of them; in none: every member", () => {
  expect([...membersElecting("172.19.0.200", all, segments)!].sort()).toEqual(["a", "b", "c"]);
  expect(membersElecting("10.0.0.1", all, segments)).toBe(all);
  expect(membersElecting("not an ip", all, segments)).toBe(all);
});

test("membership disabled stays disabled; a prefix that does not parse holds nothing", () => {
  expect(membersElecting("172.19.0.5", undefined, segments)).toBeUndefined();
  expect(segments[2]!.prefixes).toEqual([]);
});
