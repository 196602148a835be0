import { describe, expect, test } from "bun:test";
import { type ControlPacket, DIAG, decodePacket, diagName, encodePacket } from "./packet.ts";

const UP: ControlPacket = {
  diag: DIAG.none,
  state: "Up",
  poll: true,
  final: false,
  controlPlaneIndependent: false,
  demand: false,
  detectMult: 3,
  myDiscriminator: 0x01020304,
  yourDiscriminator: 0xfffffffe,
  desiredMinTxUs: 300_000,
  requiredMinRxUs: 300_000,
  requiredMinEchoRxUs: 0,
};

describe("BFD Control packet", () => {
  test("exact bytes (RFC 5880 §4.1): version 1, state Up with P, lengths and intervals big-endian", () => {
    const bytes = encodePacket(UP);
    expect([...bytes.slice(0, 4)]).toEqual([0x20, 0xe0, 3, 24]);
    expect([...bytes.slice(4, 12)]).toEqual([1, 2, 3, 4, 0xff, 0xff, 0xff, 0xfe]);
    expect([...bytes.slice(12, 24)]).toEqual([0, 4, 0x93, 0xe0, 0, 4, 0x93, 0xe0, 0, 0, 0, 0]);
    expect(decodePacket(bytes)).toEqual({ ok: true, packet: UP });
  });

  test("F is 0x10 and C is 0x08 (not the other way round); diag in the low 5 bits", () => {
    const bytes = encodePacket({
      ...UP,
      poll: false,
      final: true,
      diag: DIAG.administrativelyDown,
      state: "AdminDown",
    });
    expect(bytes[0]).toBe(0x27);
    expect(bytes[1]).toBe(0x10);
    const c = encodePacket({ ...UP, poll: false, controlPlaneIndependent: true, state: "Down" });
    expect(c[1]).toBe(0x48);
  });

  test("the reception checks of §6.8.6 discard with a reason", () => {
    const good = encodePacket(UP);
    const with_ = (i: number, v: number) => {
      const b = good.slice();
      b[i] = v;
      return b;
    };
    expect(decodePacket(good.slice(0, 23))).toMatchObject({ ok: false, discard: "tooShort" });
    expect(decodePacket(with_(0, 0x40))).toMatchObject({ ok: false, discard: "badVersion" });
    expect(decodePacket(with_(3, 30))).toMatchObject({ ok: false, discard: "badLength" });
    expect(decodePacket(with_(3, 20))).toMatchObject({ ok: false, discard: "badLength" });
    expect(decodePacket(with_(2, 0))).toMatchObject({ ok: false, discard: "zeroDetectMult" });
    expect(decodePacket(with_(1, 0xc1))).toMatchObject({ ok: false, discard: "multipointSet" });
    const zero = good.slice();
    zero.fill(0, 4, 8);
    expect(decodePacket(zero)).toMatchObject({ ok: false, discard: "zeroMyDiscriminator" });
    const auth = new Uint8Array(28);
    auth.set(good);
    auth[1] = 0xc4;
    auth[3] = 28;
    expect(decodePacket(auth)).toMatchObject({ ok: false, discard: "authenticationNotSupported" });
  });

  test("trailing bytes beyond Length are ignored", () => {
    const longer = new Uint8Array(40);
    longer.set(encodePacket(UP));
    expect(decodePacket(longer)).toEqual({ ok: true, packet: UP });
  });

  test("100k random buffers: never throws, every failure has a reason", () => {
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (let i = 0; i < 100_000; i++) {
      const b = new Uint8Array(rnd() % 40);
      for (let j = 0; j < b.length; j++) b[j] = rnd() & 0xff;
      if (i % 2 === 0 && b.length >= 24) b[0] = 0x20 | (b[0]! & 0x1f);
      const r = decodePacket(b);
      if (!r.ok) expect(typeof r.discard).toBe("string");
    }
  });

  test("diag names", () => {
    expect(diagName(1)).toBe("controlDetectionTimeExpired");
    expect(diagName(7)).toBe("administrativelyDown");
    expect(diagName(20)).toBe("diag20");
  });
});
