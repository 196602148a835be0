import { describe, expect, test } from "bun:test";
import { formatIP, parseIP } from "./address.ts";
import { buggyCount, isBuggyIP } from "./buggy.ts";
import {
  cidrContains,
  cidrSize,
  cidrsOverlap,
  compareCidrs,
  firstAddress,
  formatCIDR,
  lastAddress,
  parseCIDR,
} from "./cidr.ts";
import { COUNT_CAP, isEnormous, jsonSafeCount, usableCount } from "./count.ts";
import { addressesIn } from "./iterate.ts";

function cidr(text: string) {
  const parsed = parseCIDR(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
}

describe("parseCIDR", () => {
  test.each([
    ["10.0.0.0/24", "10.0.0.0/24"],
    ["10.0.0.7/24", "10.0.0.0/24"], // host bits masked, like Go's ParseCIDR
    ["10.0.0.7/32", "10.0.0.7/32"],
    ["0.0.0.0/0", "0.0.0.0/0"],
    ["FC00::1:2/64", "fc00::/64"],
    ["fc00::/128", "fc00::/128"],
    ["10.0.0.0/024", "10.0.0.0/24"],
  ])("%s -> %s", (text, canonical) => {
    expect(formatCIDR(cidr(text))).toBe(canonical);
  });

  test.each([
    "10.0.0.0",
    "10.0.0.0/33",
    "fc00::/129",
    "10.0.0.0/",
    "/24",
    "10.0.0.0/-1",
    " 10.0.0.0/24",
    "10.0.0.0/2 4",
    "x/8",
  ])("%p is rejected with a message naming it", (text) => {
    const parsed = parseCIDR(text);
    expect(parsed).toEqual({ ok: false, error: `invalid CIDR "${text}"` });
  });
});

describe("prefix math", () => {
  test("first, last, size, contains", () => {
    const c = cidr("192.168.1.0/30");
    expect(formatIP(firstAddress(c))).toBe("192.168.1.0");
    expect(formatIP(lastAddress(c))).toBe("192.168.1.3");
    expect(cidrSize(c)).toBe(4n);
    expect(cidrContains(c, parseIP("192.168.1.3")!)).toBe(true);
    expect(cidrContains(c, parseIP("192.168.1.4")!)).toBe(false);
    expect(cidrContains(c, parseIP("::1")!)).toBe(false);
    expect(cidrSize(cidr("fc00::/64"))).toBe(1n << 64n);
  });

  test.each([
    ["10.0.0.0/24", "10.0.0.128/25", true],
    ["10.0.0.128/25", "10.0.0.0/24", true],
    ["10.0.0.0/24", "10.0.0.0/24", true],
    ["10.0.0.0/25", "10.0.0.128/25", false],
    ["10.0.0.0/8", "11.0.0.0/8", false],
    ["0.0.0.0/0", "fc00::/7", false],
    ["fc00::/7", "fd00::1/128", true],
  ])("overlap %s %s -> %p", (a, b, expected) => {
    expect(cidrsOverlap(cidr(a), cidr(b))).toBe(expected);
  });

  test("compareCidrs sorts IPv4 first then by network", () => {
    const list = ["fc00::/64", "10.0.1.0/24", "10.0.0.0/16", "10.0.0.0/24"].map(cidr).sort(compareCidrs);
    expect(list.map(formatCIDR)).toEqual(["10.0.0.0/16", "10.0.0.0/24", "10.0.1.0/24", "fc00::/64"]);
  });

  test("iteration of a /64 is lazy", () => {
    const first3 = [...addressesIn(cidr("fc00::/64"), 3n)].map(formatIP);
    expect(first3).toEqual(["fc00::", "fc00::1", "fc00::2"]);
    expect([...addressesIn(cidr("10.0.0.0/31"))].map(formatIP)).toEqual(["10.0.0.0", "10.0.0.1"]);
  });
});

describe("buggy IPs and counting", () => {
  test.each([
    ["10.0.0.0", true],
    ["10.0.0.255", true],
    ["10.0.0.1", false],
    ["10.0.1.254", false],
    ["fc00::", false],
    ["fc00::ff", false],
  ])("isBuggyIP(%s) = %p", (text, expected) => {
    expect(isBuggyIP(parseIP(text)!)).toBe(expected);
  });

  test.each([
    ["10.0.0.0/24", 2n, 254n],
    ["10.0.0.0/16", 512n, 65536n - 512n],
    ["10.0.0.0/25", 1n, 127n],
    ["10.0.0.128/25", 1n, 127n],
    ["10.0.0.64/26", 0n, 64n],
    ["10.0.0.0/32", 1n, 0n], // MetalLB would count -1 here
    ["10.0.0.254/31", 1n, 1n],
    ["fc00::/120", 0n, 256n],
  ])("%s: %p buggy, %p usable when avoided", (text, buggy, usable) => {
    expect(buggyCount(cidr(text))).toBe(buggy);
    expect(usableCount(cidr(text), true)).toBe(usable);
    expect(usableCount(cidr(text), false)).toBe(cidrSize(cidr(text)));
  });

  test("enormous prefixes and the JSON-safe cap", () => {
    expect(isEnormous(cidr("fc00::/66"))).toBe(true);
    expect(isEnormous(cidr("fc00::/67"))).toBe(false);
    expect(jsonSafeCount(1n << 64n)).toBe(COUNT_CAP);
    expect(jsonSafeCount(254n)).toBe(254);
    expect(jsonSafeCount(-3n)).toBe(0);
    expect(JSON.stringify({ n: jsonSafeCount(1n << 100n) })).toBe('{"n":9007199254740991}');
  });
});
