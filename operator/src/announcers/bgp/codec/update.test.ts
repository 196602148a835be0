import { describe, expect, test } from "bun:test";
import { decodeMessage } from "./index.ts";
import { hex, message, toHex } from "./test-bytes.ts";
import type { OriginatedAttributes, Prefix, SessionCodecContext, UpdateMessage } from "./types.ts";
import { encodeEndOfRib, encodeUpdates, encodeWithdrawals } from "./update-encode.ts";

const MARKER = "ff".repeat(16);
const FOUR: SessionCodecContext = {
  fourOctetASN: true,
  extendedMessage: false,
  families: ["ipv4-unicast", "ipv6-unicast"],
};
const TWO: SessionCodecContext = { ...FOUR, fourOctetASN: false };
const EBGP: SessionCodecContext = { ...FOUR, internal: false };

const v4 = (address: string, length = 32): Prefix => ({ family: "ipv4", address, length });
const v6 = (address: string, length = 128): Prefix => ({ family: "ipv6", address, length });

const ebgpAttributes: OriginatedAttributes = {
  origin: "igp",
  asPath: [64512],
  nextHops: ["10.0.0.11"],
  localPref: undefined,
  communities: [],
  largeCommunities: [],
};

function hexLength(h: string, bytes = 2): string {
  return hex(h)
    .length.toString(16)
    .padStart(bytes * 2, "0");
}

/** An UPDATE from its three fields as hex; the two length fields are computed. */
function update(withdrawn: string, attributes: string, nlri = ""): Uint8Array {
  return message(2, `${hexLength(withdrawn)} ${withdrawn} ${hexLength(attributes)} ${attributes} ${nlri}`);
}

function decoded(bytes: Uint8Array, ctx: SessionCodecContext = FOUR): UpdateMessage {
  const result = decodeMessage(bytes, ctx);
  if (!result.ok) throw new Error(result.error.detail);
  if (result.value.type !== "update") throw new Error(`got ${result.value.type}`);
  return result.value;
}

function resetError(bytes: Uint8Array, ctx: SessionCodecContext = FOUR) {
  const result = decodeMessage(bytes, ctx);
  if (result.ok) throw new Error("expected a session-reset error");
  return result.error;
}

function encoded(result: ReturnType<typeof encodeUpdates>): Uint8Array[] {
  if (!result.ok) throw new Error(result.error.detail);
  return result.value;
}

const ORIGIN_IGP = "400101 00";
const AS_PATH_64512 = "400206 0201 0000fc00";
const NEXT_HOP = "400304 0a00000b";

describe("End-of-RIB", () => {
  test("IPv4 is the 23-byte empty UPDATE; IPv6 an UPDATE with only MP_UNREACH(2, 1)", () => {
    expect(toHex(encodeEndOfRib("ipv4-unicast"))).toBe(`${MARKER}0017020000 0000`.replace(/ /g, ""));
    expect(toHex(encodeEndOfRib("ipv6-unicast"))).toBe(
      `${MARKER}001d02 0000 0006 800f03 000201`.replace(/ /g, ""),
    );
  });

  test("both decode as End-of-RIB; an UPDATE with routes does not", () => {
    expect(decoded(encodeEndOfRib("ipv4-unicast")).endOfRib).toBe("ipv4-unicast");
    expect(decoded(encodeEndOfRib("ipv6-unicast")).endOfRib).toBe("ipv6-unicast");
    expect(
      decoded(update("", `${ORIGIN_IGP}${AS_PATH_64512}${NEXT_HOP}`, "200a000001")).endOfRib,
    ).toBeUndefined();
  });
});

describe("encodeUpdates", () => {
  test("IPv4 eBGP toward a 4-octet peer: exact bytes", () => {
    const [only, ...rest] = encoded(
      encodeUpdates(FOUR, "ipv4-unicast", ebgpAttributes, [v4("198.51.100.10")]),
    );
    expect(rest).toEqual([]);
    expect(toHex(only!)).toBe(
      `${MARKER}0030 02 0000 0014 ${ORIGIN_IGP} ${AS_PATH_64512} ${NEXT_HOP} 20c6336 40a`.replace(/ /g, ""),
    );
  });

  test("IPv4 iBGP with LOCAL_PREF, communities and large communities decodes back", () => {
    const attributes: OriginatedAttributes = {
      ...ebgpAttributes,
      asPath: [],
      localPref: 150,
      communities: [0xffffff01, (65535 << 16) | 666],
      largeCommunities: [{ global: 4200000000, local1: 1, local2: 2 }],
    };
    const [bytes] = encoded(
      encodeUpdates(FOUR, "ipv4-unicast", attributes, [v4("10.1.0.0", 16), v4("10.2.3.4")]),
    );
    expect(toHex(bytes!)).toContain("400200"); // empty AS_PATH
    expect(toHex(bytes!)).toContain("c00808ffffff01ffff029a");
    expect(toHex(bytes!)).toContain("c0200cfa56ea000000000100000002");
    expect(decoded(bytes!)).toMatchObject({
      origin: "igp",
      asPath: [],
      nextHop: "10.0.0.11",
      localPref: 150,
      communities: attributes.communities.map((c) => c >>> 0),
      largeCommunities: attributes.largeCommunities,
      nlri: [v4("10.1.0.0", 16), v4("10.2.3.4")],
      treatAsWithdraw: undefined,
    });
  });

  test("no LOCAL_PREF attribute unless one is given", () => {
    const [bytes] = encoded(encodeUpdates(FOUR, "ipv4-unicast", ebgpAttributes, [v4("10.0.0.1")]));
    expect(decoded(bytes!).localPref).toBeUndefined();
    expect(toHex(bytes!)).not.toContain("4005");
  });

  test("ASN 4200000000 toward a 2-octet peer: AS_TRANS in AS_PATH plus AS4_PATH", () => {
    const attributes = { ...ebgpAttributes, asPath: [4200000000] };
    const [bytes] = encoded(encodeUpdates(TWO, "ipv4-unicast", attributes, [v4("10.0.0.1")]));
    expect(toHex(bytes!)).toContain("400204 0201 5ba0".replace(/ /g, ""));
    expect(toHex(bytes!)).toContain("c01106 0201 fa56ea00".replace(/ /g, ""));
    expect(decoded(bytes!, TWO).asPath).toEqual([4200000000]); // merged back (RFC 6793 §4.2.3)
    const [four] = encoded(encodeUpdates(FOUR, "ipv4-unicast", attributes, [v4("10.0.0.1")]));
    expect(toHex(four!)).not.toContain("c011");
    expect(decoded(four!).asPath).toEqual([4200000000]);
    const [small] = encoded(encodeUpdates(TWO, "ipv4-unicast", ebgpAttributes, [v4("10.0.0.1")]));
    expect(toHex(small!)).toContain("400204 0201 fc00".replace(/ /g, ""));
    expect(toHex(small!)).not.toContain("c011");
  });

  test("IPv6 with a 32-byte next hop: MP_REACH_NLRI first, no NEXT_HOP attribute", () => {
    const attributes = { ...ebgpAttributes, nextHops: ["fd00::11", "fe80::1"] };
    const [bytes] = encoded(
      encodeUpdates(FOUR, "ipv6-unicast", attributes, [v6("2001:db8::10"), v6("2001:db8:1::", 48)]),
    );
    const body = toHex(bytes!.subarray(19));
    const mpValue = `0002 01 20 fd000000000000000000000000000011 fe800000000000000000000000000001 00 80 20010db8000000000000000000000010 30 20010db80001`;
    expect(body.slice(8, 12)).toBe("800e"); // MP_REACH_NLRI is the first attribute
    expect(body).toContain(`800e${hexLength(mpValue, 1)}${mpValue.replace(/ /g, "")}`);
    expect(body).not.toContain("4003");
    expect(decoded(bytes!)).toMatchObject({
      nlri: [],
      nextHop: undefined,
      origin: "igp",
      asPath: [64512],
      mpReach: {
        family: "ipv6-unicast",
        nextHops: ["fd00::11", "fe80::1"],
        nlri: [v6("2001:db8::10"), v6("2001:db8:1::", 48)],
      },
      treatAsWithdraw: undefined,
    });
  });

  test("attribute values over 255 bytes use the extended length flag", () => {
    const communities = Array.from({ length: 70 }, (_, i) => (64512 << 16) | i);
    const [bytes] = encoded(
      encodeUpdates(FOUR, "ipv4-unicast", { ...ebgpAttributes, communities }, [v4("10.0.0.1")]),
    );
    expect(toHex(bytes!)).toContain("d0080118");
    expect(decoded(bytes!).communities).toEqual(communities.map((c) => c >>> 0));
  });

  test("1000 /32s pack into several UPDATEs of at most 4096 bytes, each prefix once", () => {
    const prefixes = Array.from({ length: 1000 }, (_, i) => v4(`10.9.${i >> 8}.${i & 255}`));
    const messages = encoded(
      encodeUpdates(FOUR, "ipv4-unicast", { ...ebgpAttributes, communities: [1, 2] }, prefixes),
    );
    expect(messages.length).toBe(2);
    expect(messages.every((m) => m.length <= 4096)).toBe(true);
    expect(messages[0]!.length).toBeGreaterThan(4090);
    expect(messages.flatMap((m) => decoded(m).nlri)).toEqual(prefixes);
  });

  test("with Extended Message the same 1000 fit one UPDATE", () => {
    const prefixes = Array.from({ length: 1000 }, (_, i) => v4(`10.9.${i >> 8}.${i & 255}`));
    const ctx = { ...FOUR, extendedMessage: true };
    const messages = encoded(encodeUpdates(ctx, "ipv4-unicast", ebgpAttributes, prefixes));
    expect(messages.length).toBe(1);
    expect(decoded(messages[0]!, ctx).nlri).toEqual(prefixes);
  });

  test("3000 IPv6 /128s pack under 4096 bytes each", () => {
    const prefixes = Array.from({ length: 3000 }, (_, i) => v6(`2001:db8::${(i + 1).toString(16)}`));
    const messages = encoded(
      encodeUpdates(FOUR, "ipv6-unicast", { ...ebgpAttributes, nextHops: ["fd00::11"] }, prefixes),
    );
    expect(messages.length).toBe(13);
    expect(messages.every((m) => m.length <= 4096)).toBe(true);
    expect(messages.flatMap((m) => decoded(m).mpReach?.nlri ?? [])).toEqual(prefixes);
  });

  test("bad input is an EncodeError, not a throw", () => {
    const reason = (r: ReturnType<typeof encodeUpdates>) => (r.ok ? "ok" : r.error.reason);
    expect(reason(encodeUpdates(FOUR, "ipv4-unicast", ebgpAttributes, [v4("10.0.0.300")]))).toBe(
      "invalidPrefix",
    );
    expect(reason(encodeUpdates(FOUR, "ipv4-unicast", ebgpAttributes, [v6("2001:db8::1")]))).toBe(
      "invalidPrefix",
    );
    expect(reason(encodeUpdates(FOUR, "ipv4-unicast", ebgpAttributes, [v4("10.0.0.0", 33)]))).toBe(
      "invalidPrefix",
    );
    expect(reason(encodeUpdates(FOUR, "ipv6-unicast", ebgpAttributes, [v6("2001:db8::1")]))).toBe(
      "invalidNextHop",
    );
    expect(reason(encodeUpdates(FOUR, "ipv4-unicast", { ...ebgpAttributes, asPath: [0] }, []))).toBe(
      "invalidAsn",
    );
    const communities = Array.from({ length: 1100 }, (_, i) => i);
    expect(
      reason(encodeUpdates(FOUR, "ipv4-unicast", { ...ebgpAttributes, communities }, [v4("10.0.0.1")])),
    ).toBe("attributesTooLarge");
    expect(encodeUpdates(FOUR, "ipv4-unicast", ebgpAttributes, [])).toEqual({ ok: true, value: [] });
  });
});

describe("encodeWithdrawals", () => {
  test("IPv4: the withdrawn routes field, attribute length 0, exact bytes", () => {
    const [bytes] = encoded(encodeWithdrawals(FOUR, "ipv4-unicast", [v4("198.51.100.0", 24)]));
    expect(toHex(bytes!)).toBe(`${MARKER}001b02 0004 18c63364 0000`.replace(/ /g, ""));
  });

  test("IPv6: MP_UNREACH_NLRI only", () => {
    const [bytes] = encoded(encodeWithdrawals(FOUR, "ipv6-unicast", [v6("2001:db8::10")]));
    expect(toHex(bytes!)).toBe(
      `${MARKER}002e02 0000 0017 800f14 000201 80 20010db8000000000000000000000010`.replace(/ /g, ""),
    );
    expect(decoded(bytes!).mpUnreach).toEqual({ family: "ipv6-unicast", withdrawn: [v6("2001:db8::10")] });
  });

  test("2000 /32 and 2000 /128 withdrawals never exceed 4096 bytes and list each prefix once", () => {
    const four = Array.from({ length: 2000 }, (_, i) => v4(`10.9.${i >> 8}.${i & 255}`));
    const messages4 = encoded(encodeWithdrawals(FOUR, "ipv4-unicast", four));
    expect(messages4.length).toBe(3);
    expect(messages4.every((m) => m.length <= 4096)).toBe(true);
    expect(messages4.flatMap((m) => decoded(m).withdrawn)).toEqual(four);
    const six = Array.from({ length: 2000 }, (_, i) => v6(`2001:db8::${(i + 1).toString(16)}`));
    const messages6 = encoded(encodeWithdrawals(FOUR, "ipv6-unicast", six));
    expect(messages6.every((m) => m.length <= 4096)).toBe(true);
    expect(messages6.flatMap((m) => decoded(m).mpUnreach?.withdrawn ?? [])).toEqual(six);
  });
});

describe("decodeUpdate: session reset", () => {
  test("withdrawn length or attribute length overrunning the body is 3/1", () => {
    expect(resetError(message(2, "0005 0000"))).toMatchObject({ code: 3, subcode: 1 });
    expect(resetError(message(2, "0000 0009 400101 00"))).toMatchObject({ code: 3, subcode: 1 });
  });

  test("an IPv4 prefix longer than 32 bits or overrunning is 3/10", () => {
    expect(resetError(update("", `${ORIGIN_IGP}${AS_PATH_64512}${NEXT_HOP}`, "210a000000ff"))).toMatchObject({
      code: 3,
      subcode: 10,
    });
    expect(resetError(update("180a00", ""))).toMatchObject({ code: 3, subcode: 10 });
    expect(resetError(update("", `${ORIGIN_IGP}${AS_PATH_64512}${NEXT_HOP}`, "200a0000"))).toMatchObject({
      code: 3,
      subcode: 10,
    });
  });

  test("an IPv6 prefix longer than 128 bits in MP_REACH_NLRI is 3/10", () => {
    const mp = "900e0016 0002 01 10 fd000000000000000000000000000011 00 81 00";
    expect(resetError(update("", `${mp}${ORIGIN_IGP}${AS_PATH_64512}`))).toMatchObject({
      code: 3,
      subcode: 10,
    });
  });

  test("MP_REACH_NLRI twice is 3/1; MP_UNREACH_NLRI twice too", () => {
    const mp = "800e15 0002 01 10 fd000000000000000000000000000011 00";
    expect(resetError(update("", `${mp}${mp}${ORIGIN_IGP}${AS_PATH_64512}`))).toMatchObject({
      code: 3,
      subcode: 1,
    });
    expect(resetError(update("", "800f03000201 800f03000201"))).toMatchObject({ code: 3, subcode: 1 });
  });

  test("MP_REACH_NLRI with a next hop length IPv6 lacks, or cut short, is 3/9 with the attribute", () => {
    const bad = "800e09 0002 01 04 0a00000b 00";
    const error = resetError(update("", `${bad}${ORIGIN_IGP}${AS_PATH_64512}`));
    expect([error.code, error.subcode, toHex(error.data)]).toEqual([3, 9, bad.replace(/ /g, "")]);
    expect(resetError(update("", "800e04 00020110"))).toMatchObject({ code: 3, subcode: 9 });
    expect(resetError(update("", "800e06 0002 01 10 fd00"))).toMatchObject({ code: 3, subcode: 9 });
    expect(resetError(update("", "800f02 0002"))).toMatchObject({ code: 3, subcode: 9 });
  });

  test("MP_REACH_NLRI with wrong flags is 3/4", () => {
    const mp = "c00e15 0002 01 10 fd000000000000000000000000000011 00";
    expect(resetError(update("", `${mp}${ORIGIN_IGP}${AS_PATH_64512}`))).toMatchObject({
      code: 3,
      subcode: 4,
    });
  });

  test("MP attributes for families we do not know are skipped", () => {
    const evpn = "800e09 0019 46 04 0a00000b 00 0102";
    expect(decoded(update("", `${evpn}${ORIGIN_IGP}${AS_PATH_64512}`)).mpReach).toBeUndefined();
  });
});

describe("decodeUpdate: treat-as-withdraw and attribute discard", () => {
  const route = "200a000001";
  const withAttributes = (attributes: string, ctx: SessionCodecContext = FOUR) =>
    decoded(update("", attributes, route), ctx);
  const taw = (attributes: string, ctx: SessionCodecContext = FOUR) => {
    const value = withAttributes(attributes, ctx);
    const error = value.treatAsWithdraw;
    if (error === undefined) throw new Error("expected treat-as-withdraw");
    expect(value.nlri).toEqual([v4("10.0.0.1")]);
    return [error.code, error.subcode, toHex(error.data)];
  };

  test("ORIGIN of length 2 is 3/5, value 3 is 3/6, both with the attribute", () => {
    expect(taw(`400102 0000 ${AS_PATH_64512}${NEXT_HOP}`)).toEqual([3, 5, "4001020000"]);
    expect(taw(`400101 03 ${AS_PATH_64512}${NEXT_HOP}`)).toEqual([3, 6, "40010103"]);
  });

  test("malformed AS_PATH is 3/11; 2- and 4-octet parsing follow the context", () => {
    expect(taw(`${ORIGIN_IGP} 400202 0200 ${NEXT_HOP}`)).toEqual([3, 11, ""]);
    expect(taw(`${ORIGIN_IGP} 400204 0501 fc00 ${NEXT_HOP}`, TWO)).toEqual([3, 11, ""]);
    expect(taw(`${ORIGIN_IGP} 400204 0202 fc00 ${NEXT_HOP}`, TWO)).toEqual([3, 11, ""]);
    expect(taw(`${ORIGIN_IGP} 400206 0201 00000000 ${NEXT_HOP}`)).toEqual([3, 11, ""]); // AS 0, RFC 7607
    expect(withAttributes(`${ORIGIN_IGP} 400206 0202 fc00fde8 ${NEXT_HOP}`, TWO).asPath).toEqual([
      64512, 65000,
    ]);
    expect(withAttributes(`${ORIGIN_IGP} 40020c 0101 0000fc00 0201 0000fde8 ${NEXT_HOP}`).asPath).toEqual([
      64512, 65000,
    ]);
  });

  test("NEXT_HOP, MED and iBGP LOCAL_PREF of length other than 4 are 3/5", () => {
    expect(taw(`${ORIGIN_IGP}${AS_PATH_64512} 400305 0a00000b00`)).toEqual([3, 5, "4003050a00000b00"]);
    expect(taw(`${ORIGIN_IGP}${AS_PATH_64512}${NEXT_HOP} 800403 000001`)).toEqual([3, 5, "800403000001"]);
    expect(taw(`${ORIGIN_IGP}${AS_PATH_64512}${NEXT_HOP} 400503 000064`)).toEqual([3, 5, "400503000064"]);
  });

  test("AS4_PATH: merged on a 2-octet session, ignored on a 4-octet one, discarded when malformed", () => {
    const paths = `${ORIGIN_IGP} 400206 0202 5ba0fc00 ${NEXT_HOP}`;
    expect(withAttributes(`${paths} c0110a 0202 fa56ea00 0000fde8`, TWO).asPath).toEqual([4200000000, 65000]);
    expect(withAttributes(`${paths} c01106 0201 fa56ea00`, TWO).asPath).toEqual([23456, 4200000000]);
    const malformed = withAttributes(`${paths} c01106 0202 fa56ea00`, TWO);
    expect([malformed.asPath, malformed.treatAsWithdraw]).toEqual([[23456, 64512], undefined]);
    const fourOctet = `${ORIGIN_IGP} 400206 0201 fa56ea00 ${NEXT_HOP} c01106 0201 0000fde8`;
    expect(withAttributes(fourOctet).asPath).toEqual([4200000000]);
  });

  test("LOCAL_PREF from an eBGP peer is discarded, malformed or not", () => {
    const good = withAttributes(`${ORIGIN_IGP}${AS_PATH_64512}${NEXT_HOP} 400504 00000064`, EBGP);
    expect([good.localPref, good.treatAsWithdraw]).toEqual([undefined, undefined]);
    const bad = withAttributes(`${ORIGIN_IGP}${AS_PATH_64512}${NEXT_HOP} 400503 000064`, EBGP);
    expect(bad.treatAsWithdraw).toBeUndefined();
    expect(withAttributes(`${ORIGIN_IGP}${AS_PATH_64512}${NEXT_HOP} 400504 00000064`).localPref).toBe(100);
  });

  test("COMMUNITIES not a non-zero multiple of 4, LARGE_COMMUNITY not of 12, are 3/5", () => {
    const base = `${ORIGIN_IGP}${AS_PATH_64512}${NEXT_HOP}`;
    expect(taw(`${base} c00803 000001`)).toEqual([3, 5, "c00803000001"]);
    expect(taw(`${base} c00800`)).toEqual([3, 5, "c00800"]);
    expect(taw(`${base} c0200b ${"00".repeat(11)}`)[1]).toBe(5);
    expect(taw(`${base} c02000`)[1]).toBe(5);
  });

  test("missing ORIGIN, AS_PATH or NEXT_HOP with IPv4 routes is 3/3 with the type code", () => {
    expect(taw(`${AS_PATH_64512}${NEXT_HOP}`)).toEqual([3, 3, "01"]);
    expect(taw(`${ORIGIN_IGP}${NEXT_HOP}`)).toEqual([3, 3, "02"]);
    expect(taw(`${ORIGIN_IGP}${AS_PATH_64512}`)).toEqual([3, 3, "03"]);
    const mp = "800e26 0002 01 10 fd000000000000000000000000000011 00 80 20010db8000000000000000000000010";
    const ipv6 = decoded(update("", `${mp}${ORIGIN_IGP}`));
    expect(ipv6.treatAsWithdraw).toMatchObject({ code: 3, subcode: 3 });
    expect(toHex(ipv6.treatAsWithdraw!.data)).toBe("02");
  });

  test("wrong flags on a known attribute are 3/4 with the attribute", () => {
    expect(taw(`c00101 00 ${AS_PATH_64512}${NEXT_HOP}`)).toEqual([3, 4, "c0010100"]);
    expect(taw(`${ORIGIN_IGP}${AS_PATH_64512}${NEXT_HOP} 400800`)).toEqual([3, 4, "400800"]);
  });

  test("an unknown well-known attribute is 3/2; an unknown optional one is ignored", () => {
    expect(taw(`${ORIGIN_IGP}${AS_PATH_64512}${NEXT_HOP} 406301 00`)).toEqual([3, 2, "40630100"]);
    expect(
      withAttributes(`${ORIGIN_IGP}${AS_PATH_64512}${NEXT_HOP} c06301 00`).treatAsWithdraw,
    ).toBeUndefined();
  });

  test("an attribute overrunning the list is 3/1 treat-as-withdraw, and the NLRI is still found", () => {
    expect(taw(`${ORIGIN_IGP}${AS_PATH_64512}${NEXT_HOP} c00808 0000`)).toEqual([3, 1, ""]);
    expect(taw(`${ORIGIN_IGP}${AS_PATH_64512}${NEXT_HOP} 50`)).toEqual([3, 1, ""]);
    expect(taw(`${ORIGIN_IGP}${AS_PATH_64512}${NEXT_HOP} d008 00`)).toEqual([3, 1, ""]);
  });

  test("ATOMIC_AGGREGATE and AGGREGATOR of the wrong length, and repeats, are discarded", () => {
    const value = withAttributes(
      `${ORIGIN_IGP} 400101 02 ${AS_PATH_64512}${NEXT_HOP} 400601 00 c00707 ${"00".repeat(7)}`,
    );
    expect([value.origin, value.treatAsWithdraw]).toEqual(["igp", undefined]);
  });

  test("an UPDATE that only withdraws needs no attributes", () => {
    const value = decoded(update("200a000001", ""));
    expect([value.withdrawn, value.treatAsWithdraw, value.endOfRib]).toEqual([
      [v4("10.0.0.1")],
      undefined,
      undefined,
    ]);
  });

  test("host bits in a received prefix are cleared", () => {
    expect(decoded(update("", `${ORIGIN_IGP}${AS_PATH_64512}${NEXT_HOP}`, "170a0003")).nlri).toEqual([
      v4("10.0.2.0", 23),
    ]);
  });
});
