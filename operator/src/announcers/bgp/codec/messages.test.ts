import { describe, expect, test } from "bun:test";
import { CeaseSubcode, decodeShutdownCommunication, encodeShutdownCommunication } from "./cease.ts";
import { bgpError } from "./errors.ts";
import { decodeMessage } from "./index.ts";
import { encodeKeepalive } from "./keepalive.ts";
import { encodeNotification, notificationFor } from "./notification.ts";
import { encodeRouteRefresh, RouteRefreshSubtype } from "./route-refresh.ts";
import { hex, message, toHex } from "./test-bytes.ts";

const MARKER = "ff".repeat(16);

describe("KEEPALIVE", () => {
  test("is the 19-byte header and decodes", () => {
    expect(toHex(encodeKeepalive())).toBe(`${MARKER}001304`);
    expect(decodeMessage(encodeKeepalive())).toEqual({ ok: true, value: { type: "keepalive" } });
  });
});

describe("NOTIFICATION", () => {
  test("encodes code, subcode, data and decodes back", () => {
    const bytes = encodeNotification(
      6,
      CeaseSubcode.administrativeShutdown,
      encodeShutdownCommunication("bye"),
    );
    expect(toHex(bytes)).toBe(`${MARKER}00190306020362 7965`.replace(/ /g, ""));
    const decoded = decodeMessage(bytes);
    expect(decoded).toMatchObject({ ok: true, value: { type: "notification", code: 6, subcode: 2 } });
    if (decoded.ok && decoded.value.type === "notification") {
      expect(decodeShutdownCommunication(decoded.value.data)).toBe("bye");
    }
  });

  test("tolerates codes nobody defined (GoBGP sent 0/0)", () => {
    expect(decodeMessage(message(3, "0000"))).toEqual({
      ok: true,
      value: { type: "notification", code: 0, subcode: 0, data: new Uint8Array(0) },
    });
  });

  test("notificationFor carries the error's code, subcode and data", () => {
    const error = bgpError("badMessageLength", "test", hex("0012"));
    expect(toHex(notificationFor(error))).toBe(`${MARKER}0017030102 0012`.replace(/ /g, ""));
  });
});

describe("Cease", () => {
  test("subcodes 1..10", () => {
    expect(Object.values(CeaseSubcode)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  });

  test("shutdown communication is a length byte and UTF-8, cut to 255 bytes on a character", () => {
    expect(toHex(encodeShutdownCommunication("é"))).toBe("02c3a9");
    const long = encodeShutdownCommunication("€".repeat(100)); // 3 bytes each
    expect(long[0]).toBe(255);
    expect(long.length).toBe(256);
    const odd = encodeShutdownCommunication(`a${"€".repeat(100)}`);
    expect(odd[0]).toBe(253);
    expect(decodeShutdownCommunication(odd)).toBe(`a${"€".repeat(84)}`);
    expect(decodeShutdownCommunication(hex("02c328"))).toBeUndefined();
    expect(decodeShutdownCommunication(hex("05616263"))).toBeUndefined();
  });
});

describe("ROUTE-REFRESH", () => {
  test("encodes AFI, subtype, SAFI and decodes back", () => {
    const bytes = encodeRouteRefresh(2, 1, RouteRefreshSubtype.beginningOfRouteRefresh);
    expect(toHex(bytes)).toBe(`${MARKER}00170500020101`);
    expect(decodeMessage(bytes)).toEqual({
      ok: true,
      value: { type: "route-refresh", afi: 2, subtype: 1, safi: 1 },
    });
  });

  test("BoRR or EoRR with a body other than 4 bytes is 7/1 with the message as data", () => {
    for (const subtype of ["01", "02"]) {
      const bytes = message(5, `0001${subtype}0100`);
      const result = decodeMessage(bytes);
      expect(result).toMatchObject({
        ok: false,
        error: { code: 7, subcode: 1, reason: "routeRefreshInvalidLength" },
      });
      if (!result.ok) expect(toHex(result.error.data)).toBe(toHex(bytes));
    }
  });

  test("unknown subtypes decode; a normal request may carry ORF bytes", () => {
    expect(decodeMessage(message(5, "00010701"))).toMatchObject({ ok: true, value: { subtype: 7 } });
    expect(decodeMessage(message(5, "0001000100ff"))).toMatchObject({ ok: true, value: { subtype: 0 } });
  });
});

describe("decodeMessage", () => {
  test("header errors and a length that disagrees with the bytes are 1/x", () => {
    expect(decodeMessage(hex("ffff"))).toMatchObject({ ok: false, error: { code: 1, subcode: 2 } });
    const keepalive = encodeKeepalive();
    keepalive[0] = 0;
    expect(decodeMessage(keepalive)).toMatchObject({ ok: false, error: { code: 1, subcode: 1 } });
    const trailing = new Uint8Array(20);
    trailing.set(encodeKeepalive());
    expect(decodeMessage(trailing)).toMatchObject({ ok: false, error: { code: 1, subcode: 2 } });
    expect(decodeMessage(message(7, ""))).toMatchObject({ ok: false, error: { code: 1, subcode: 3 } });
  });
});
