/**
 * The BGP codec's public surface: the framer, decodeMessage for whole messages, and the encoders.
 * Everything here is pure and never throws on input bytes.
 */
import { u16Bytes } from "./bytes.ts";
import { bgpError } from "./errors.ts";
import { checkHeader, isHeaderError, MessageType } from "./header.ts";
import { KEEPALIVE_MESSAGE } from "./keepalive.ts";
import { decodeNotification } from "./notification.ts";
import { decodeOpen } from "./open.ts";
import { decodeRouteRefresh } from "./route-refresh.ts";
import { type BgpMessage, type Decoded, HEADER_LENGTH, type SessionCodecContext } from "./types.ts";
import { decodeUpdate } from "./update-decode.ts";

export { CapabilityCode, NO_CAPABILITIES } from "./capabilities.ts";
export { CEASE, CeaseSubcode, decodeShutdownCommunication, encodeShutdownCommunication } from "./cease.ts";
export type { Encoded, EncodeError, EncodeErrorReason } from "./encode-error.ts";
export { bgpError } from "./errors.ts";
export { MessageFramer } from "./framer.ts";
export { MAX_EXTENDED_MESSAGE_LENGTH, MessageType } from "./header.ts";
export { encodeKeepalive } from "./keepalive.ts";
export { negotiateContext } from "./negotiate.ts";
export { encodeNotification, notificationFor } from "./notification.ts";
export {
  BGP_VERSION,
  checkPeerOpen,
  decodeOpen,
  encodeOpen,
  type OpenParameters,
  type PeerExpectation,
  peerASNOf,
  twoOctetAS,
} from "./open.ts";
export { encodeRouteRefresh, RouteRefreshSubtype } from "./route-refresh.ts";
export * from "./types.ts";
export { decodeUpdate } from "./update-decode.ts";
export { encodeEndOfRib, encodeUpdates, encodeWithdrawals, maxUpdateLength } from "./update-encode.ts";

/**
 * What UPDATE decoding assumes before the OPENs are exchanged: 2-octet AS paths, 4096-byte
 * messages, IPv4 unicast only (RFC 4760 §8 default).
 */
export const PRE_OPEN_CONTEXT: SessionCodecContext = {
  fourOctetASN: false,
  extendedMessage: false,
  families: ["ipv4-unicast"],
};

/**
 * Decodes one whole message, header included (as the framer yields them). Header problems are
 * 1/x errors here too, so the function stands alone; OPEN needs no context.
 */
export function decodeMessage(
  bytes: Uint8Array,
  ctx: SessionCodecContext = PRE_OPEN_CONTEXT,
): Decoded<BgpMessage> {
  if (bytes.length < HEADER_LENGTH) {
    return {
      ok: false,
      error: bgpError(
        "badMessageLength",
        `${bytes.length} bytes, less than a header`,
        u16Bytes(bytes.length),
      ),
    };
  }
  const header = checkHeader(bytes, ctx.extendedMessage);
  if (isHeaderError(header)) return { ok: false, error: header };
  if (header.length !== bytes.length) {
    return {
      ok: false,
      error: bgpError(
        "badMessageLength",
        `header says ${header.length} bytes, got ${bytes.length}`,
        u16Bytes(header.length),
      ),
    };
  }
  switch (header.type) {
    case MessageType.open:
      return decodeOpen(bytes);
    case MessageType.update:
      return decodeUpdate(bytes, ctx);
    case MessageType.notification:
      return decodeNotification(bytes);
    case MessageType.keepalive:
      return { ok: true, value: KEEPALIVE_MESSAGE };
    case MessageType.routeRefresh:
      return decodeRouteRefresh(bytes);
  }
}
