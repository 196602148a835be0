import { describe, expect, test } from "bun:test";
import { addressKey, canonicalIP, compareAddresses, formatIP, nextAddress, parseIP } from "./address.ts";

describe("parseIP + formatIP", () => {
  test.each([
    ["10.0.0.1", "10.0.0.1", "ipv4"],
    ["0.0.0.0", "0.0.0.0", "ipv4"],
    ["255.255.255.255", "255.255.255.255", "ipv4"],
    ["::", "::", "ipv6"],
    ["::1", "::1", "ipv6"],
    ["FC00::1", "fc00::1", "ipv6"],
    ["2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1", "ipv6"],
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1", "ipv6"], // first of two equal runs
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1", "ipv6"], // a single zero group is not shortened
    ["2001:0:0:1:0:0:0:1", "2001:0:0:1::1", "ipv6"], // the longest run wins
    ["1::2:3:4:5:6:7", "1:0:2:3:4:5:6:7", "ipv6"],
    ["1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0", "ipv6"],
    ["::ffff:10.1.2.3", "10.1.2.3", "ipv4"], // IPv4-mapped counts as IPv4, like Go's To4()
    ["::10.1.2.3", "::a01:203", "ipv6"],
    ["64:ff9b::192.0.2.33", "64:ff9b::c000:221", "ipv6"],
    ["1:2:3:4:5:6:1.2.3.4", "1:2:3:4:5:6:102:304", "ipv6"],
    ["1::", "1::", "ipv6"],
    ["0:0:0:0:0:0:0:0", "::", "ipv6"],
    ["::0:1", "::1", "ipv6"],
  ])("%s -> %s (%s)", (text, canonical, family) => {
    const address = parseIP(text);
    expect(address?.family).toBe(family as "ipv4" | "ipv6");
    expect(address && formatIP(address)).toBe(canonical);
  });

  test.each([
    "",
    "10.0.0",
    "10.0.0.256",
    "010.0.0.1", // leading zeros rejected (Go >= 1.17)
    "10.0.0.1 ",
    " 10.0.0.1",
    "10.0.0.-1",
    "1.2.3.4.5",
    ":::",
    "1::2::3",
    "1:2:3:4:5:6:7:8:9",
    "1:2:3:4:5:6:7:8::",
    "12345::",
    "fe80::1%eth0",
    "::ffff:1.2.3",
    "1.2.3.4::",
    "g::1",
    "10.0.0.1/32",
    "1:2:3:4:5:6:7:1.2.3.4",
    ":1::",
    "1:",
    "::1:",
    "00000::1",
    "1:2:3:4:5:6:7",
    "::1.2.3.4.5",
    "1.2.3.4.",
  ])("%p is not an IP", (text) => {
    expect(parseIP(text)).toBeUndefined();
  });
});

describe("round trips", () => {
  test("formatIP then parseIP gives the same IPv6 value, for many shapes of value", () => {
    let seed = 7;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    for (let n = 0; n < 2000; n++) {
      let value = 0n;
      for (let g = 0; g < 8; g++) {
        const r = next() % 4;
        value = (value << 16n) | BigInt(r === 0 ? 0 : r === 1 ? next() % 16 : next() % 65536);
      }
      if (value >> 32n === 0xffffn) continue; // IPv4-mapped: parses as IPv4 by design
      const text = formatIP({ family: "ipv6", value });
      expect(parseIP(text)).toEqual({ family: "ipv6", value });
    }
  });
});

describe("helpers", () => {
  test("canonicalIP", () => {
    expect(canonicalIP("FC00:0::0001")).toBe("fc00::1");
    expect(canonicalIP("nope")).toBeUndefined();
  });
  test("compareAddresses orders IPv4 before IPv6, then by value", () => {
    const list = ["fc00::1", "10.0.0.2", "::1", "10.0.0.1"].map((t) => parseIP(t)!);
    expect(list.sort(compareAddresses).map(formatIP)).toEqual(["10.0.0.1", "10.0.0.2", "::1", "fc00::1"]);
  });
  test("addressKey tells families apart", () => {
    expect(addressKey(parseIP("0.0.0.1")!)).not.toBe(addressKey(parseIP("::1")!));
    expect(addressKey(parseIP("::ffff:10.0.0.1")!)).toBe(addressKey(parseIP("10.0.0.1")!));
  });
  test("nextAddress stops at the end of the family", () => {
    expect(formatIP(nextAddress(parseIP("10.0.0.255")!)!)).toBe("10.0.1.0");
    expect(nextAddress(parseIP("255.255.255.255")!)).toBeUndefined();
    expect(nextAddress(parseIP("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff")!)).toBeUndefined();
  });
});
