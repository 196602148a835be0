import { expect, test } from "bun:test";
import { originatedPrefix } from "./prefix.ts";

test.each([
  ["10.0.0.7", 32, 128, "10.0.0.7/32", "ipv4"],
  ["10.0.0.7", 24, 128, "10.0.0.0/24", "ipv4"],
  ["10.0.0.7", 31, 128, "10.0.0.6/31", "ipv4"],
  ["255.255.255.255", 1, 128, "128.0.0.0/1", "ipv4"],
  ["10.0.0.7", 0, 128, "0.0.0.0/0", "ipv4"],
  ["2001:db8::7", 32, 128, "2001:db8::7/128", "ipv6"],
  ["2001:db8:0:1:2:3:4:5", 32, 64, "2001:db8:0:1::/64", "ipv6"],
  ["2001:db8::7", 32, 0, "::/0", "ipv6"],
] as const)("%s with /%d and /%d -> %s", (ip, v4, v6, prefix, family) => {
  expect(originatedPrefix(ip, v4, v6)).toEqual({ prefix, family });
});

test.each(["010.0.0.1", "10.0.0", "10.0.0.1.", "10.0.0.256", "", "2001:DB8::1", "fe80::1%eth0", "host"])(
  "%p is not canonical address text",
  (ip) => {
    expect(originatedPrefix(ip, 32, 128)).toBeUndefined();
    expect(originatedPrefix(ip, 24, 64)).toBeUndefined();
  },
);

test("an aggregation length out of the family's range yields nothing", () => {
  expect(originatedPrefix("10.0.0.1", 33, 128)).toBeUndefined();
  expect(originatedPrefix("2001:db8::1", 32, 129)).toBeUndefined();
});
