import { describe, expect, test } from "bun:test";
import { consecutivePrefixes, mrtDump } from "./mrt.ts";

/** Splits a dump into its records (RFC 6396 §2: 12-byte header, then the body). */
function records(dump: Uint8Array): Array<{ type: number; subtype: number; body: Uint8Array }> {
  const view = new DataView(dump.buffer, dump.byteOffset, dump.byteLength);
  const out = [];
  for (let at = 0; at < dump.length; ) {
    const length = view.getUint32(at + 8);
    out.push({
      type: view.getUint16(at + 4),
      subtype: view.getUint16(at + 6),
      body: dump.slice(at + 12, at + 12 + length),
    });
    at += 12 + length;
  }
  return out;
}

describe("mrtDump", () => {
  test("a peer index table with one AS 0 peer, then one RIB record per prefix", () => {
    const [index, v4, v6] = records(mrtDump(["172.18.255.200/32", "fc00:f853:ccd:e799::1/128"]));
    expect([index?.type, index?.subtype, v4?.subtype, v6?.subtype]).toEqual([13, 1, 2, 4]);
    expect([...(index?.body ?? [])]).toEqual([0, 0, 0, 0, 0, 0, 0, 1, 2, ...Array(12).fill(0)]);
    // sequence 0, /32, 172.18.255.200, one entry from peer 0
    expect([...(v4?.body.slice(0, 14) ?? [])]).toEqual([0, 0, 0, 0, 32, 172, 18, 255, 200, 0, 1, 0, 0, 0]);
  });

  test("IPv4 attributes: ORIGIN IGP, empty AS_PATH, NEXT_HOP 0.0.0.0 (self), communities", () => {
    const [, v4] = records(mrtDump(["10.0.0.0/8"], { communities: ["65000:7"], localPref: 200 }));
    const body = v4?.body ?? new Uint8Array();
    const attrs = [...body.slice(4 + 1 + 1 + 2 + 2 + 4 + 2)]; // seq, len, 1 prefix byte, count, peer, time, attr len
    expect(attrs).toEqual([
      ...[0x40, 1, 1, 0],
      ...[0x40, 2, 0],
      ...[0x40, 3, 4, 0, 0, 0, 0],
      ...[0x40, 5, 4, 0, 0, 0, 200],
      ...[0xc0, 8, 4, 0xfd, 0xe8, 0, 7],
    ]);
  });

  test("IPv6 next hop in the abbreviated MP_REACH_NLRI of RFC 6396 §4.3.4", () => {
    const [, v6] = records(mrtDump(["fc00::/64"], { nexthop: "fc00::3" }));
    const body = [...(v6?.body ?? [])];
    const mpReach = body.indexOf(14) - 1;
    expect(body.slice(mpReach, mpReach + 4)).toEqual([0x80, 14, 17, 16]);
    expect(body.slice(mpReach + 4, mpReach + 20)).toEqual([0xfc, ...Array(14).fill(0), 3]);
  });
});

describe("consecutivePrefixes", () => {
  test("IPv4 crosses octet boundaries", () => {
    expect(consecutivePrefixes("198.18.0.254", 3)).toEqual([
      "198.18.0.254/32",
      "198.18.0.255/32",
      "198.18.1.0/32",
    ]);
  });
  test("IPv6 counts in the last group", () => {
    expect(consecutivePrefixes("fc00::fffe", 2)).toEqual([
      "fc00:0:0:0:0:0:0:fffe/128",
      "fc00:0:0:0:0:0:0:ffff/128",
    ]);
    expect(() => consecutivePrefixes("fc00::ffff", 2)).toThrow();
  });
});
