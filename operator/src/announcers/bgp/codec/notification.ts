/**
 * NOTIFICATION (RFC 4271 §4.5): code, subcode, data. Any code/subcode decodes (GoBGP has sent 0/0):
 * the session reports it, it does not judge it.
 */
import { MessageType, messageWriter } from "./header.ts";
import { type BgpError, type Decoded, HEADER_LENGTH, type NotificationMessage } from "./types.ts";

/** The largest data field that fits a 4096-byte NOTIFICATION (NOTIFICATION never needs more). */
export const MAX_NOTIFICATION_DATA = 4096 - HEADER_LENGTH - 2;

/** Data beyond MAX_NOTIFICATION_DATA is cut: a NOTIFICATION must fit the peer's limit. */
export function encodeNotification(
  code: number,
  subcode: number,
  data: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const kept = data.subarray(0, MAX_NOTIFICATION_DATA);
  return messageWriter(MessageType.notification, 2 + kept.length)
    .u8(code)
    .u8(subcode)
    .raw(kept).bytes;
}

/** The NOTIFICATION a decode error calls for. */
export function notificationFor(error: BgpError): Uint8Array {
  return encodeNotification(error.code, error.subcode, error.data);
}

/** Decodes a whole NOTIFICATION (header checked: at least 21 bytes). The data is copied. */
export function decodeNotification(message: Uint8Array): Decoded<NotificationMessage> {
  return {
    ok: true,
    value: {
      type: "notification",
      code: message[HEADER_LENGTH] ?? 0,
      subcode: message[HEADER_LENGTH + 1] ?? 0,
      data: message.slice(HEADER_LENGTH + 2),
    },
  };
}
