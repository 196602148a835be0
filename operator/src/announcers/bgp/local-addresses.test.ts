import { describe, expect, test } from "bun:test";
import { crc32, type InterfaceTable, nextHopsFor, routerIDFor } from "./local-addresses.ts";

const table: InterfaceTable = {
  lo: [{ address: "127.0.0.1", family: "IPv4", cidr: "127.0.0.1/8", internal: true }],
  eth0: [
    { address: "172.18.0.2", family: "IPv4", cidr: "172.18.0.2/16", internal: false },
    { address: "fc00:f853:ccd:e793::2", family: "IPv6", cidr: "fc00:f853:ccd:e793::2/64", internal: false },
    { address: "fe80::42:acff:fe12:2", family: "IPv6", cidr: "fe80::42:acff:fe12:2/64", internal: false },
  ],
  eth1: [{ address: "fd00:1::5", family: "IPv6", cidr: "fd00:1::5/64", internal: false }],
};

describe("routerIDFor", () => {
  test("configured wins, then the local IPv4", () => {
    expect(routerIDFor("1.2.3.4", "172.18.0.2", table, "n")).toBe("1.2.3.4");
    expect(routerIDFor(undefined, "172.18.0.2", table, "n")).toBe("172.18.0.2");
  });

  test("IPv6 session: the first IPv4 of the same interface", () => {
    expect(routerIDFor(undefined, "fc00:f853:ccd:e793::2", table, "n")).toBe("172.18.0.2");
  });

  test("no IPv4 anywhere near: CRC-32 of the node name, little-endian", () => {
    const crc = crc32("myk8s-worker");
    const id = routerIDFor(undefined, "fd00:1::5", table, "myk8s-worker");
    expect(id).toBe([crc & 0xff, (crc >>> 8) & 0xff, (crc >>> 16) & 0xff, crc >>> 24].join("."));
  });

  test("crc32 is IEEE (check value of 123456789)", () => {
    expect(crc32("123456789")).toBe(0xcbf43926);
  });
});

describe("nextHopsFor", () => {
  test("IPv4 session: its local IPv4; dual stack IPv6 from the same interface, link-local only on-link", () => {
    expect(nextHopsFor("172.18.0.2", "172.18.0.100", table)).toEqual({
      ipv4: "172.18.0.2",
      ipv6: ["fc00:f853:ccd:e793::2", "fe80::42:acff:fe12:2"],
    });
    expect(nextHopsFor("172.18.0.2", "10.9.9.9", table)).toEqual({
      ipv4: "172.18.0.2",
      ipv6: ["fc00:f853:ccd:e793::2"],
    });
  });

  test("IPv6 session: its global address, plus link-local when the peer shares the subnet", () => {
    expect(nextHopsFor("fc00:f853:ccd:e793::2", "fc00:f853:ccd:e793::1", table)).toEqual({
      ipv4: "172.18.0.2",
      ipv6: ["fc00:f853:ccd:e793::2", "fe80::42:acff:fe12:2"],
    });
  });

  test("an interface without the other family: that family has no next hop", () => {
    expect(nextHopsFor("fd00:1::5", "fd00:2::1", table)).toEqual({ ipv4: undefined, ipv6: ["fd00:1::5"] });
    expect(nextHopsFor("127.0.0.1", "127.0.0.2", table)).toEqual({ ipv4: "127.0.0.1", ipv6: undefined });
  });
});
