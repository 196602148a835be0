/** KEEPALIVE (RFC 4271 §4.4): the header alone; its exact length is checked with the header. */
import { MessageType, messageWriter } from "./header.ts";
import type { KeepaliveMessage } from "./types.ts";

const KEEPALIVE = messageWriter(MessageType.keepalive, 0).bytes;

/** A fresh copy each time, so a caller's buffer reuse can never corrupt the next one. */
export function encodeKeepalive(): Uint8Array {
  return KEEPALIVE.slice();
}

export const KEEPALIVE_MESSAGE: KeepaliveMessage = { type: "keepalive" };
