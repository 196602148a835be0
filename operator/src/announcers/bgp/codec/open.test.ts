import { describe, expect, test } from "bun:test";
import { NO_CAPABILITIES } from "./capabilities.ts";
import { decodeMessage } from "./index.ts";
import { checkPeerOpen, decodeOpen, encodeOpen, type OpenParameters, twoOctetAS } from "./open.ts";
import { hex, message, toHex } from "./test-bytes.ts";
import type { OpenMessage } from "./types.ts";

/** An OPEN body: version, AS, hold, identifier, then the optional parameters as given. */
function openBody(parametersHex: string, fixed = "04 fde8 005a 0a000001"): Uint8Array {
  const parameters = hex(parametersHex);
  return message(1, `${fixed} ${parameters.length.toString(16).padStart(2, "0")} ${parametersHex}`);
}

function decoded(bytes: Uint8Array): OpenMessage {
  const result = decodeOpen(bytes);
  if (!result.ok) throw new Error(result.error.detail);
  return result.value;
}

function failure(bytes: Uint8Array) {
  const result = decodeOpen(bytes);
  if (result.ok) throw new Error("expected an error");
  return result.error;
}

const ours: OpenParameters = {
  myAS: twoOctetAS(4200000000),
  holdTimeS: 90,
  bgpIdentifier: "10.0.0.11",
  capabilities: {
    ...NO_CAPABILITIES,
    families: ["ipv4-unicast", "ipv6-unicast"],
    routeRefresh: true,
    fourOctetASN: 4200000000,
    gracefulRestart: {
      restarting: true,
      notification: false,
      restartTimeS: 120,
      families: [{ family: "ipv4-unicast", forwardingPreserved: true }],
    },
  },
};

describe("OPEN encode", () => {
  test("exact bytes: one Capabilities parameter with MP, route refresh, 4-octet AS, GR", () => {
    const result = encodeOpen(ours);
    if (!result.ok) throw new Error(result.error.detail);
    expect(toHex(result.value)).toBe(
      `${"ff".repeat(16)}003b 01 04 5ba0 005a 0a00000b 1e 02 1c`.replace(/ /g, "") +
        "0104000100010104000200010200" +
        "4104fa56ea00" +
        "4006807800010180",
    );
    expect(decodeMessage(result.value)).toEqual({ ok: true, value: { type: "open", version: 4, ...ours } });
  });

  test("rejects values it cannot send", () => {
    expect(encodeOpen({ ...ours, myAS: 70000 })).toMatchObject({
      ok: false,
      error: { reason: "invalidAsn" },
    });
    expect(encodeOpen({ ...ours, holdTimeS: 2 })).toMatchObject({
      ok: false,
      error: { reason: "invalidHoldTime" },
    });
    expect(encodeOpen({ ...ours, bgpIdentifier: "0.0.0.0" })).toMatchObject({
      ok: false,
      error: { reason: "invalidBgpIdentifier" },
    });
  });

  test("parameters over 255 bytes use the RFC 9072 extended length, and decode back", () => {
    const big = {
      ...ours,
      capabilities: { ...ours.capabilities, unknown: [{ code: 200, value: new Uint8Array(250) }] },
    };
    const result = encodeOpen(big);
    if (!result.ok) throw new Error(result.error.detail);
    expect(toHex(result.value.subarray(28, 35))).toBe("ffff011b" + "02" + "0118");
    expect(decoded(result.value)).toEqual({ type: "open", version: 4, ...big });
  });
});

describe("OPEN decode", () => {
  test("FRR 8.4's capabilities in one parameter: known ones parse, unknown ones are kept", () => {
    const capabilities = [
      "0104 00010001", // MP IPv4 unicast
      "8000", // old route refresh
      "0200", // route refresh
      "4600", // enhanced route refresh
      "4104 0000fbf4", // 4-octet AS 64500
      "0600", // extended message
      "4504 00010101", // ADD-PATH
      "4906 04 72317273 00", // FQDN: hostname "r1rs", no domain
      "4002 c078", // GR: R + N, 120 s, helper (no AFIs)
      "4700", // long-lived GR
    ].join("");
    const capabilitiesLength = hex(capabilities).length;
    const open = decoded(
      openBody(`02 ${capabilitiesLength.toString(16)} ${capabilities}`, "04 fbf4 00b4 0a000001"),
    );
    expect(open).toMatchObject({ myAS: 64500, holdTimeS: 180, bgpIdentifier: "10.0.0.1" });
    expect(open.capabilities).toMatchObject({
      families: ["ipv4-unicast"],
      routeRefresh: true,
      enhancedRouteRefresh: true,
      fourOctetASN: 64500,
      extendedMessage: true,
      gracefulRestart: { restarting: true, notification: true, restartTimeS: 120, families: [] },
    });
    expect(open.capabilities.unknown.map((u) => [u.code, toHex(u.value)])).toEqual([
      [69, "00010101"],
      [73, "047231727300"],
      [71, ""],
    ]);
  });

  test("GoBGP 4.8's capabilities (2, 73, 6, 1, 65, 64, 5)", () => {
    const capabilities = [
      "0200",
      "4906 04676f6267 00",
      "0600",
      "0104 00020001",
      "4104 fa56ea00",
      "4006 005a 00020180",
      "0506 00010001 0002",
    ].join("");
    const open = decoded(
      openBody(`02 ${hex(capabilities).length.toString(16)} ${capabilities}`, "04 5ba0 005a 0a000002"),
    );
    expect(open.capabilities).toMatchObject({
      families: ["ipv6-unicast"],
      routeRefresh: true,
      extendedMessage: true,
      fourOctetASN: 4200000000,
      gracefulRestart: {
        restarting: false,
        notification: false,
        restartTimeS: 90,
        families: [{ family: "ipv6-unicast", forwardingPreserved: true }],
      },
    });
    expect(open.capabilities.unknown.map((u) => u.code)).toEqual([73, 5]);
  });

  test("capabilities spread over several parameters, and an OPEN without any", () => {
    const open = decoded(openBody("0206 0104 00010001 0202 0200"));
    expect(open.capabilities.families).toEqual(["ipv4-unicast"]);
    expect(open.capabilities.routeRefresh).toBe(true);
    expect(decoded(openBody("")).capabilities).toEqual(NO_CAPABILITIES);
  });

  test("multiprotocol for an unknown AFI/SAFI is kept as code 1", () => {
    const open = decoded(openBody("0206 0104 00190046"));
    expect(open.capabilities.families).toEqual([]);
    expect(open.capabilities.unknown.map((u) => [u.code, toHex(u.value)])).toEqual([[1, "00190046"]]);
  });

  test("RFC 9072 extended optional parameters length is accepted", () => {
    const open = decoded(message(1, "04 fde8 005a 0a000001 ff ff 0009 02 0006 0104 00020001"));
    expect(open.capabilities.families).toEqual(["ipv6-unicast"]);
  });

  test("version 3 is 2/1 with data u16 4", () => {
    const error = failure(openBody("", "03 fde8 005a 0a000001"));
    expect([error.code, error.subcode, toHex(error.data)]).toEqual([2, 1, "0004"]);
  });

  test("a non-capability optional parameter is 2/4", () => {
    expect(failure(openBody("0102 0000"))).toMatchObject({
      code: 2,
      subcode: 4,
      reason: "unsupportedOptionalParameter",
    });
  });

  test("hold time 1 or 2 is 2/6; 0 and 3 are fine", () => {
    expect(failure(openBody("", "04 fde8 0001 0a000001"))).toMatchObject({ code: 2, subcode: 6 });
    expect(failure(openBody("", "04 fde8 0002 0a000001"))).toMatchObject({ code: 2, subcode: 6 });
    expect(decoded(openBody("", "04 fde8 0000 0a000001")).holdTimeS).toBe(0);
    expect(decoded(openBody("", "04 fde8 0003 0a000001")).holdTimeS).toBe(3);
  });

  test("BGP identifier 0 is 2/3", () => {
    expect(failure(openBody("", "04 fde8 005a 00000000"))).toMatchObject({ code: 2, subcode: 3 });
  });

  test("AS 0 in My AS or in capability 65 is 2/2", () => {
    expect(failure(openBody("", "04 0000 005a 0a000001"))).toMatchObject({ code: 2, subcode: 2 });
    expect(failure(openBody("0206 4104 00000000"))).toMatchObject({
      code: 2,
      subcode: 2,
      reason: "badPeerAS",
    });
  });

  test("malformed capability TLVs and parameter lengths are 2/0", () => {
    const cases = [
      "0203 0104 00", // capability runs past its parameter
      "0201 01", // capability header cut short
      "0205 4103 000001", // 4-octet AS of length 3
      "0205 0103 000100", // MP of length 3
      "0203 4001 00", // GR of length 1
      "0204 4003 000000", // GR with a partial AFI entry
      "0203 0201 00", // route refresh with a value
      "0208 0206 0000", // parameter runs past the message
    ];
    for (const parameters of cases) {
      const error = failure(openBody(parameters));
      expect([parameters, error.code, error.subcode, error.reason]).toEqual([
        parameters,
        2,
        0,
        "openMessageUnspecific",
      ]);
    }
    const tooLong = openBody("0202 0200");
    tooLong[28] = 5; // Opt Parm Len says more than the message holds
    expect(failure(tooLong)).toMatchObject({ code: 2, subcode: 0 });
  });
});

describe("checkPeerOpen", () => {
  const peer = (myAS: number, fourOctetASN: number | undefined, id = "10.0.0.1"): OpenMessage => ({
    type: "open",
    version: 4,
    myAS,
    holdTimeS: 90,
    bgpIdentifier: id,
    capabilities: { ...NO_CAPABILITIES, fourOctetASN },
  });
  const expectation = { localASN: 64512, localBgpIdentifier: "10.0.0.11", peerASN: 4200000000 };

  test("accepts the configured AS from capability 65 behind AS_TRANS", () => {
    expect(checkPeerOpen(peer(23456, 4200000000), expectation)).toBeUndefined();
  });

  test("another AS is 2/2", () => {
    expect(checkPeerOpen(peer(64500, 64500), expectation)).toMatchObject({ code: 2, subcode: 2 });
    expect(checkPeerOpen(peer(23456, undefined), expectation)).toMatchObject({ code: 2, subcode: 2 });
  });

  test("My AS disagreeing with a 2-octet capability 65 value is 2/2", () => {
    expect(checkPeerOpen(peer(64501, 64500), { ...expectation, peerASN: 64500 })).toMatchObject({
      subcode: 2,
    });
  });

  test("dynamicASN internal and external", () => {
    const dynamic = { localASN: 64512, localBgpIdentifier: "10.0.0.11", peerASN: undefined };
    expect(checkPeerOpen(peer(64512, 64512), { ...dynamic, dynamicASN: "internal" })).toBeUndefined();
    expect(checkPeerOpen(peer(64500, 64500), { ...dynamic, dynamicASN: "internal" })).toMatchObject({
      subcode: 2,
    });
    expect(checkPeerOpen(peer(64500, 64500), { ...dynamic, dynamicASN: "external" })).toBeUndefined();
    expect(checkPeerOpen(peer(64512, 64512), { ...dynamic, dynamicASN: "external" })).toMatchObject({
      subcode: 2,
    });
  });

  test("an iBGP peer with our identifier is 2/3; on eBGP it is legal (RFC 6286)", () => {
    const ibgp = { localASN: 64512, localBgpIdentifier: "10.0.0.11", peerASN: 64512 };
    expect(checkPeerOpen(peer(64512, 64512, "10.0.0.11"), ibgp)).toMatchObject({ code: 2, subcode: 3 });
    expect(checkPeerOpen(peer(23456, 4200000000, "10.0.0.11"), expectation)).toBeUndefined();
  });
});
