/**
 * Cease (code 6) subcodes (RFC 4486, RFC 8538 Hard Reset, RFC 9384 BFD Down) and the RFC 9003
 * shutdown communication that 6/2 and 6/4 may carry.
 */
import { ErrorCode } from "./types.ts";

export const CEASE = ErrorCode.cease;

export const CeaseSubcode = {
  maximumPrefixesReached: 1,
  administrativeShutdown: 2,
  peerDeconfigured: 3,
  administrativeReset: 4,
  connectionRejected: 5,
  otherConfigurationChange: 6,
  connectionCollisionResolution: 7,
  outOfResources: 8,
  hardReset: 9,
  bfdDown: 10,
} as const;

/** RFC 9003 §2: the message is at most 255 octets of UTF-8. */
export const MAX_SHUTDOWN_COMMUNICATION = 255;

/**
 * The data of a 6/2 or 6/4 NOTIFICATION: a length byte and the UTF-8 text, cut to 255 bytes at a
 * character boundary (a cut mid-character would be invalid UTF-8, RFC 9003 §2).
 */
export function encodeShutdownCommunication(text: string): Uint8Array {
  let utf8 = new TextEncoder().encode(text);
  if (utf8.length > MAX_SHUTDOWN_COMMUNICATION) {
    let end = MAX_SHUTDOWN_COMMUNICATION;
    // Back up over continuation bytes (10xxxxxx) to the start of the cut character.
    while (end > 0 && (utf8[end]! & 0xc0) === 0x80) end--;
    utf8 = utf8.subarray(0, end);
  }
  const data = new Uint8Array(1 + utf8.length);
  data[0] = utf8.length;
  data.set(utf8, 1);
  return data;
}

/** The text of a received shutdown communication, or undefined when the data is not one. */
export function decodeShutdownCommunication(data: Uint8Array): string | undefined {
  if (data.length === 0) return undefined;
  const length = data[0]!;
  if (length === 0 || 1 + length > data.length) return undefined;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(data.subarray(1, 1 + length));
  } catch {
    return undefined; // invalid UTF-8 (RFC 9003 §2 says to treat it as absent)
  }
}
