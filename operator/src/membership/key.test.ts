import { describe, expect, test } from "bun:test";
import { createHmac, hkdfSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beatKeyFromSecret, readMembershipSecret } from "./key.ts";

describe("beatKeyFromSecret", () => {
  test("HKDF-SHA-256 of the secret: 32 bytes, deterministic, different per secret", () => {
    const secret = new TextEncoder().encode("c2VjcmV0LWtleS1vZi0xNi1ieXRlcw==");
    const a = beatKeyFromSecret(secret);
    expect(a.length).toBe(32);
    expect([...beatKeyFromSecret(secret)]).toEqual([...a]);
    expect([...beatKeyFromSecret(new TextEncoder().encode("another"))]).not.toEqual([...a]);
  });

  test("matches RFC 5869 HKDF (extract with the salt, expand with the info) computed independently", () => {
    const secret = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
    const prk = createHmac("sha256", "metalbun membership salt v1").update(secret).digest();
    const t1 = createHmac("sha256", prk)
      .update(Buffer.concat([Buffer.from("metalbun heartbeat hmac-sha256 v1"), Buffer.from([1])]))
      .digest();
    expect(Buffer.from(beatKeyFromSecret(secret)).toString("hex")).toBe(t1.toString("hex"));
    expect(Buffer.from(hkdfSync("sha256", secret, "x", "y", 32)).toString("hex")).not.toBe(
      t1.toString("hex"),
    );
  });

  test("an empty secret is a configuration error, not 'no key'", () => {
    expect(() => beatKeyFromSecret(new Uint8Array())).toThrow(/empty/);
  });
});

describe("readMembershipSecret", () => {
  test("reads <dir>/secretkey as raw bytes; undefined for no dir or a missing file", () => {
    const dir = mkdtempSync(join(tmpdir(), "ml-secret-"));
    try {
      expect(readMembershipSecret(undefined)).toBeUndefined();
      expect(readMembershipSecret("")).toBeUndefined();
      expect(readMembershipSecret(dir)).toBeUndefined();
      writeFileSync(join(dir, "secretkey"), "abc\n");
      expect([...(readMembershipSecret(dir) ?? [])]).toEqual([0x61, 0x62, 0x63, 0x0a]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
