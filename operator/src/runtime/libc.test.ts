import { describe, expect, test } from "bun:test";
import { tcpMd5Sig } from "./libc.ts";

describe("tcpMd5Sig (struct tcp_md5sig, RFC 2385 on Linux)", () => {
  test("IPv4 peer: family 2 host order at 0, address at 4, key length at 130, key at 136", () => {
    const sig = tcpMd5Sig(Uint8Array.of(10, 0, 0, 1), new TextEncoder().encode("s3cret"));
    expect(sig.byteLength).toBe(216);
    expect([...sig.subarray(0, 8)]).toEqual([2, 0, 0, 0, 10, 0, 0, 1]);
    expect(sig[128]).toBe(0); // flags
    expect(sig[129]).toBe(0); // prefix length
    expect([...sig.subarray(130, 132)]).toEqual([6, 0]);
    expect([...sig.subarray(132, 136)]).toEqual([0, 0, 0, 0]); // ifindex
    expect(new TextDecoder().decode(sig.subarray(136, 142))).toBe("s3cret");
    expect(sig.subarray(142).every((b) => b === 0)).toBe(true);
  });

  test("IPv6 peer: family 10, address at 8, scope 0", () => {
    const peer = new Uint8Array(16);
    peer[0] = 0xfd;
    peer[15] = 1;
    const sig = tcpMd5Sig(peer, Uint8Array.of(1, 2, 3));
    expect([...sig.subarray(0, 2)]).toEqual([10, 0]);
    expect([...sig.subarray(8, 24)]).toEqual([...peer]);
    expect([...sig.subarray(24, 28)]).toEqual([0, 0, 0, 0]);
    expect([...sig.subarray(130, 132)]).toEqual([3, 0]);
  });

  test("an 80-byte key fits; 81 is refused", () => {
    expect(tcpMd5Sig(Uint8Array.of(1, 2, 3, 4), new Uint8Array(80).fill(7))[215]).toBe(7);
    expect(() => tcpMd5Sig(Uint8Array.of(1, 2, 3, 4), new Uint8Array(81))).toThrow("at most 80");
  });
});
