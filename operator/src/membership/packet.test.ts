import { describe, expect, test } from "bun:test";
import { createHmac } from "node:crypto";
import { beatKeyFromSecret } from "./key.ts";
import { type Beat, decodeBeat, encodeBeat, HEADER_BYTES, isValidNodeName, TAG_BYTES } from "./packet.ts";
import type { DropReason } from "./reasons.ts";

const key = beatKeyFromSecret(new TextEncoder().encode("the memberlist secret"));
const otherKey = beatKeyFromSecret(new TextEncoder().encode("another cluster's secret"));
const beat: Beat = {
  kind: "alive",
  node: "myk8s-worker2",
  incarnation: 1_764_000_000_123,
  seq: 42,
  intervalMs: 100,
};

function reasonOf(bytes: Uint8Array, k = key): DropReason | "accepted" {
  const d = decodeBeat(bytes, k);
  return d.ok ? "accepted" : d.reason;
}

describe("encodeBeat / decodeBeat", () => {
  test("round trip, tagged and untagged, both kinds", () => {
    for (const kind of ["alive", "leaving"] as const) {
      const b = { ...beat, kind };
      expect(decodeBeat(encodeBeat(b, key), key)).toEqual({ ok: true, beat: b });
      expect(decodeBeat(encodeBeat(b, undefined), undefined)).toEqual({ ok: true, beat: b });
    }
  });

  test("the layout: magic, version, kind, flags, name length, u64 incarnation and seq, u16 interval, name, tag", () => {
    const bytes = encodeBeat(beat, key);
    expect(bytes.length).toBe(HEADER_BYTES + beat.node.length + TAG_BYTES);
    expect(new TextDecoder().decode(bytes.subarray(0, 4))).toBe("MBHB");
    expect([...bytes.subarray(4, 8)]).toEqual([1, 1, 1, beat.node.length]);
    const view = new DataView(bytes.buffer);
    expect(Number(view.getBigUint64(8))).toBe(beat.incarnation);
    expect(Number(view.getBigUint64(16))).toBe(beat.seq);
    expect(view.getUint16(24)).toBe(100);
    expect(new TextDecoder().decode(bytes.subarray(26, 26 + beat.node.length))).toBe(beat.node);
    // The tag, computed independently with node:crypto over everything before it.
    const signed = bytes.subarray(0, 26 + beat.node.length);
    const mac = createHmac("sha256", key).update(signed).digest().subarray(0, 16);
    expect(Buffer.from(bytes.subarray(26 + beat.node.length)).equals(mac)).toBe(true);
    expect(encodeBeat(beat, undefined)[6]).toBe(0);
    expect(encodeBeat({ ...beat, kind: "leaving" }, undefined)[5]).toBe(2);
  });

  test("a beat as small as the design says: 55 bytes for a 13-character name", () => {
    expect(encodeBeat(beat, key).length).toBe(55);
  });

  test("encode refuses what no receiver would accept", () => {
    expect(() => encodeBeat({ ...beat, node: "Upper" }, key)).toThrow(/node name/);
    expect(() => encodeBeat({ ...beat, node: "" }, key)).toThrow(/node name/);
    expect(() => encodeBeat({ ...beat, incarnation: 0 }, key)).toThrow(/incarnation/);
    expect(() => encodeBeat({ ...beat, seq: 2 ** 53 }, key)).toThrow(/sequence/);
    expect(() => encodeBeat({ ...beat, intervalMs: 70_000 }, key)).toThrow(/interval/);
  });
});

describe("decodeBeat refuses, with the reason", () => {
  const good = encodeBeat(beat, key);

  test("forged: wrong key, or any single bit flipped under the tag or in the tag", () => {
    expect(reasonOf(encodeBeat(beat, otherKey))).toBe("forged");
    // a forger who changes the name, the sequence or the kind and keeps the old tag
    for (const offset of [5, 8, 15, 16, 23, 24, 26, 30, good.length - 1]) {
      const copy = good.slice();
      copy[offset] = (copy[offset] ?? 0) ^ 0x01;
      const r = reasonOf(copy);
      expect(r === "forged" || r === "badKind").toBe(true);
    }
    // a kind flip alive -> leaving keeps a valid kind code: only the tag can catch it
    const leaving = good.slice();
    leaving[5] = 2;
    expect(reasonOf(leaving)).toBe("forged");
  });

  test("truncated at every length, oversized with any trailing byte", () => {
    expect(reasonOf(good.subarray(0, 0))).toBe("truncated");
    for (let n = 1; n < good.length; n += 1) expect(reasonOf(good.subarray(0, n))).toBe("truncated");
    const longer = new Uint8Array(good.length + 1);
    longer.set(good);
    expect(reasonOf(longer)).toBe("oversized");
  });

  test("not ours, wrong version, unknown kind or flags", () => {
    expect(reasonOf(new TextEncoder().encode("GET / HTTP/1.1\r\n\r\n and some more bytes"))).toBe(
      "notHeartbeat",
    );
    expect(reasonOf(new Uint8Array([0x4d, 0x00]))).toBe("notHeartbeat");
    const v2 = good.slice();
    v2[4] = 2;
    expect(reasonOf(v2)).toBe("badVersion");
    const k3 = good.slice();
    k3[5] = 3;
    expect(reasonOf(k3)).toBe("badKind");
    const f = good.slice();
    f[6] = 0x03;
    expect(reasonOf(f)).toBe("badKind");
  });

  test("authentication mode mismatch", () => {
    expect(reasonOf(encodeBeat(beat, undefined), key)).toBe("unauthenticated");
    const unauthenticated = decodeBeat(encodeBeat(beat, key), undefined);
    expect(unauthenticated).toEqual({ ok: false, reason: "unverifiable" });
  });

  test("bad names and numbers (checked after the tag, so crafted with the key)", () => {
    const craft = (mutate: (b: Uint8Array) => void, nameBytes = new TextEncoder().encode(beat.node)) => {
      const raw = encodeBeat(beat, undefined).subarray(0, HEADER_BYTES);
      const b = new Uint8Array(HEADER_BYTES + nameBytes.length + TAG_BYTES);
      b.set(raw);
      b[6] = 1;
      b[7] = nameBytes.length;
      b.set(nameBytes, HEADER_BYTES);
      mutate(b);
      const signed = b.subarray(0, HEADER_BYTES + nameBytes.length);
      b.set(createHmac("sha256", key).update(signed).digest().subarray(0, TAG_BYTES), signed.length);
      return b;
    };
    expect(reasonOf(craft(() => {}))).toBe("accepted");
    expect(reasonOf(craft(() => {}, new Uint8Array([0xff, 0xfe])))).toBe("badName");
    expect(reasonOf(craft(() => {}, new TextEncoder().encode("Bad_Name")))).toBe("badName");
    expect(reasonOf(craft(() => {}, new Uint8Array()))).toBe("badName");
    expect(reasonOf(craft((b) => new DataView(b.buffer).setBigUint64(8, 0n)))).toBe("badNumber");
    expect(reasonOf(craft((b) => new DataView(b.buffer).setBigUint64(16, 2n ** 53n)))).toBe("badNumber");
    expect(reasonOf(craft((b) => new DataView(b.buffer).setUint16(24, 0)))).toBe("badNumber");
  });

  test("node names: Kubernetes' DNS-1123 subdomains up to 253 bytes", () => {
    expect(isValidNodeName("myk8s-control-plane")).toBe(true);
    expect(isValidNodeName("node-1.example.com")).toBe(true);
    expect(isValidNodeName("a".repeat(253))).toBe(true);
    expect(isValidNodeName("a".repeat(254))).toBe(false);
    for (const bad of ["", "-a", "a-", "A", "a_b", "a..b", "é"]) expect(isValidNodeName(bad)).toBe(false);
    const longest = { ...beat, node: "a".repeat(253) };
    expect(decodeBeat(encodeBeat(longest, key), key)).toEqual({ ok: true, beat: longest });
  });
});

describe("fuzz: decodeBeat is total", () => {
  function rng(seed: number): () => number {
    let s = seed >>> 0;
    return () => {
      s = (s + 0x6d2b79f5) >>> 0;
      let t = s;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  test("200k random and mutated packets: no exception, no mutated packet accepted under the key", () => {
    const random = rng(7);
    const seeds = [encodeBeat(beat, key), encodeBeat({ ...beat, kind: "leaving", node: "a" }, key)];
    let accepted = 0;
    let exceptions = 0;
    for (let i = 0; i < 200_000; i += 1) {
      let bytes: Uint8Array;
      const seed = seeds[i % seeds.length]!;
      if (i % 4 === 0) {
        bytes = new Uint8Array(Math.floor(random() * 320));
        for (let j = 0; j < bytes.length; j += 1) bytes[j] = Math.floor(random() * 256);
        if (bytes.length >= 5 && i % 8 === 0) bytes.set([0x4d, 0x42, 0x48, 0x42, 1]);
      } else {
        bytes = seed.slice();
        const flips = 1 + Math.floor(random() * 3);
        for (let f = 0; f < flips; f += 1) {
          const at = Math.floor(random() * bytes.length);
          bytes[at] = (bytes[at] ?? 0) ^ (1 + Math.floor(random() * 255));
        }
        if (i % 5 === 0) bytes = bytes.subarray(0, Math.floor(random() * bytes.length));
      }
      try {
        const d = decodeBeat(bytes, key);
        // two flips of one byte can restore it: only a changed packet must never pass
        if (d.ok && !seeds.some((s) => Buffer.from(s).equals(bytes))) accepted += 1;
        decodeBeat(bytes, undefined);
      } catch {
        exceptions += 1;
      }
    }
    expect(exceptions).toBe(0);
    expect(accepted).toBe(0);
  });
});
