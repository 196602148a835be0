import { describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { sha256Hex, sha256Into, utf8 } from "./sha256.ts";

describe("sha256Hex", () => {
  // FIPS 180-4 / NIST CSRC example vectors.
  test.each([
    ["", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"],
    ["abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"],
    [
      "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
    ],
    [
      "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
      "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1",
    ],
  ])("%p", (input, digest) => {
    expect(sha256Hex(input)).toBe(digest);
  });

  test("one million 'a' (FIPS 180-4 long message)", () => {
    expect(sha256Hex("a".repeat(1_000_000))).toBe(
      "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0",
    );
  });

  test("every length around the block and padding boundaries agrees with node:crypto", () => {
    for (let n = 0; n <= 200; n++) {
      const text = "x#".repeat(n).slice(0, n);
      expect(sha256Hex(text)).toBe(createHash("sha256").update(text).digest("hex"));
    }
  });

  test("random election keys agree with node:crypto", () => {
    let seed = 7;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed;
    };
    for (let i = 0; i < 500; i++) {
      const text = `node-${next().toString(36)}#10.${next() % 256}.${next() % 256}.${next() % 256}`;
      expect(sha256Hex(text)).toBe(createHash("sha256").update(text).digest("hex"));
    }
  });

  test("UTF-8 encoding matches the platform's", () => {
    for (const text of ["ascii", "é", "ノード", "😀#fe80::1", "\u07ff\u0800\uffff"]) {
      expect([...utf8(text)]).toEqual([...new TextEncoder().encode(text)]);
      expect(sha256Hex(text)).toBe(createHash("sha256").update(text).digest("hex"));
    }
  });
});

describe("sha256Into", () => {
  test("writes the digest as big-endian words at the offset, as node:crypto computes it", () => {
    const out = new Uint32Array(24);
    for (const text of ["", "myk8s-worker#172.18.255.200", "ü#fd00::1", "x".repeat(200)]) {
      sha256Into(text, out, 8);
      const digest = createHash("sha256").update(text).digest();
      const words = Array.from({ length: 8 }, (_, w) => digest.readUInt32BE(w * 4));
      expect([...out.subarray(8, 16)]).toEqual(words);
      expect(out[0]).toBe(0);
      expect(out[16]).toBe(0);
    }
  });
});
