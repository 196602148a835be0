import { expect, test } from "bun:test";
import { sockaddr } from "./beat-sockets.ts";

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");

test("sockaddr_in: family 2 (host order), port and address in network order, zero padding", () => {
  expect(hex(sockaddr("172.18.255.255", 7946, 0))).toBe("0200" + "1f0a" + "ac12ffff" + "0000000000000000");
});

test("sockaddr_in6: the interface as scope for ff02:: groups and fe80:: addresses only", () => {
  const group = sockaddr("ff02::1%eth0", 7946, 5);
  expect(group.length).toBe(28);
  expect(hex(group.subarray(0, 8))).toBe("0a00" + "1f0a" + "00000000");
  expect(hex(group.subarray(8, 24))).toBe("ff020000000000000000000000000001");
  expect(new DataView(group.buffer).getUint32(24, true)).toBe(5);
  expect(new DataView(sockaddr("fe80::1", 7946, 5).buffer).getUint32(24, true)).toBe(5);
  expect(new DataView(sockaddr("fd00:18::3", 7946, 5).buffer).getUint32(24, true)).toBe(0);
  expect(new DataView(sockaddr("ff05::7946", 7946, 5).buffer).getUint32(24, true)).toBe(0);
});

test("text that is no address is an error, not a zero address", () => {
  expect(() => sockaddr("not-an-ip", 7946, 0)).toThrow(/not an IP address/);
});
