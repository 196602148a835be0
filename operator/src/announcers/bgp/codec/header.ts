/**
 * The RFC 4271 §4.1 message header: 16-byte marker of ones, 2-byte length, 1-byte type, and the
 * §6.1 checks on it. The extended maximum (RFC 8654) never applies to OPEN or KEEPALIVE.
 */
import { ByteWriter, u16, u16Bytes } from "./bytes.ts";
import { bgpError } from "./errors.ts";
import { type BgpError, HEADER_LENGTH, MAX_MESSAGE_LENGTH } from "./types.ts";

export const MessageType = {
  open: 1,
  update: 2,
  notification: 3,
  keepalive: 4,
  routeRefresh: 5,
} as const;
export type MessageTypeCode = (typeof MessageType)[keyof typeof MessageType];

/** RFC 8654 §4: the largest message once both sides sent the Extended Message capability. */
export const MAX_EXTENDED_MESSAGE_LENGTH = 65535;

/** Smallest whole-message lengths (RFC 4271 §4.2-4.5, RFC 2918 §3). */
const MIN_LENGTH: Readonly<Record<MessageTypeCode, number>> = {
  [MessageType.open]: 29,
  [MessageType.update]: 23,
  [MessageType.notification]: 21,
  [MessageType.keepalive]: 19,
  [MessageType.routeRefresh]: 23,
};

export interface Header {
  readonly type: MessageTypeCode;
  readonly length: number;
}

export function maxLengthFor(type: number, extendedMessage: boolean): number {
  return extendedMessage && type !== MessageType.open && type !== MessageType.keepalive
    ? MAX_EXTENDED_MESSAGE_LENGTH
    : MAX_MESSAGE_LENGTH;
}

/**
 * Checks the first 19 bytes of a message (the caller guarantees they are there).
 * ROUTE-REFRESH is checked for >= 23 only: RFC 7313 §5 answers a wrong length for BoRR/EoRR with
 * 7/1, which needs the message to get past the header.
 */
export function checkHeader(bytes: Uint8Array, extendedMessage: boolean): Header | BgpError {
  for (let i = 0; i < 16; i++) {
    if (bytes[i] !== 0xff) return bgpError("connectionNotSynchronized", "marker is not all ones");
  }
  const length = u16(bytes, 16);
  const type = bytes[18] ?? 0;
  if (length < HEADER_LENGTH || length > MAX_EXTENDED_MESSAGE_LENGTH) return badLength(length, type);
  if (!isMessageType(type)) {
    return bgpError("badMessageType", `unknown message type ${type}`, Uint8Array.of(type));
  }
  if (length > maxLengthFor(type, extendedMessage)) return badLength(length, type);
  const min = MIN_LENGTH[type];
  if (type === MessageType.keepalive ? length !== min : length < min) return badLength(length, type);
  return { type, length };
}

function badLength(length: number, type: number): BgpError {
  return bgpError("badMessageLength", `length ${length} is wrong for message type ${type}`, u16Bytes(length));
}

function isMessageType(type: number): type is MessageTypeCode {
  return type >= MessageType.open && type <= MessageType.routeRefresh;
}

/** A whole message: header around `bodyLength` bytes the caller writes after the returned offset. */
export function messageWriter(type: MessageTypeCode, bodyLength: number): ByteWriter {
  const length = HEADER_LENGTH + bodyLength;
  const writer = new ByteWriter(length);
  writer.bytes.fill(0xff, 0, 16);
  writer.offset = 16;
  return writer.u16(length).u8(type);
}

export function isHeaderError(value: Header | BgpError): value is BgpError {
  return "reason" in value;
}
