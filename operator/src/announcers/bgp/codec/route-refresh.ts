/**
 * ROUTE-REFRESH (RFC 2918 §3, RFC 7313 §3): AFI(2) subtype(1) SAFI(1). For BoRR and EoRR a body other
 * than 4 bytes is 7/1 with the whole message as data (RFC 7313 §5); subtype 0 may carry more
 * (ORFs, RFC 5291), which is ignored; unknown subtypes decode and the session ignores them.
 */

import { u16 } from "./bytes.ts";
import { bgpError } from "./errors.ts";
import { MessageType, messageWriter } from "./header.ts";
import { type Decoded, HEADER_LENGTH, type RouteRefreshMessage } from "./types.ts";

export const RouteRefreshSubtype = {
  normal: 0,
  beginningOfRouteRefresh: 1,
  endOfRouteRefresh: 2,
} as const;

export function encodeRouteRefresh(
  afi: number,
  safi: number,
  subtype: number = RouteRefreshSubtype.normal,
): Uint8Array {
  return messageWriter(MessageType.routeRefresh, 4).u16(afi).u8(subtype).u8(safi).bytes;
}

export function decodeRouteRefresh(message: Uint8Array): Decoded<RouteRefreshMessage> {
  const bodyLength = message.length - HEADER_LENGTH;
  const subtype = message[HEADER_LENGTH + 2] ?? 0;
  const enhanced =
    subtype === RouteRefreshSubtype.beginningOfRouteRefresh ||
    subtype === RouteRefreshSubtype.endOfRouteRefresh;
  if (bodyLength < 4 || (enhanced && bodyLength !== 4)) {
    return {
      ok: false,
      error: bgpError(
        "routeRefreshInvalidLength",
        `ROUTE-REFRESH subtype ${subtype} with a ${bodyLength}-byte body`,
        message.slice(),
      ),
    };
  }
  return {
    ok: true,
    value: {
      type: "route-refresh",
      afi: u16(message, HEADER_LENGTH),
      subtype,
      safi: message[HEADER_LENGTH + 3]!,
    },
  };
}
