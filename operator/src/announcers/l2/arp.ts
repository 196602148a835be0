/**
 * ARP over Ethernet (RFC 826), with the gratuitous forms of RFC 5227 §3 (ARP Announcement): pure
 * encode/decode of whole Ethernet frames. Only Ethernet + IPv4 is ARP here (hardware type 1,
 * protocol 0x0800, sizes 6 and 4); anything else is a drop reason, never an exception.
 *
 *   0      6      12   14    16    18  19  20    22     28     32     38     42
 *   | dst  | src  |0806|htype|ptype|hl|pl| op  | SHA  | SPA  | THA  | TPA  | padding to 60
 */
import { type Decoded, dropped } from "./drop.ts";
import {
  BROADCAST_MAC,
  bytesEqualAt,
  ETH_HEADER_BYTES,
  ETHERTYPE_ARP,
  ETHERTYPE_IPV4,
  etherTypeOf,
  MAC_BYTES,
  MAX_FRAME_BYTES,
  MIN_FRAME_BYTES,
  writeEthernetHeader,
} from "./ethernet.ts";

export const ARP_REQUEST = 1;
export const ARP_REPLY = 2;
const HTYPE_ETHERNET = 1;
const IPV4_BYTES = 4;
/** Ethernet header + the 28-byte ARP packet for Ethernet/IPv4. */
export const ARP_FRAME_BYTES = ETH_HEADER_BYTES + 28;

/** A decoded ARP frame. Byte fields are views into the received frame (no copies). */
export interface ArpFrame {
  readonly ethDst: Uint8Array;
  readonly ethSrc: Uint8Array;
  /** 1 = request, 2 = reply; other values are passed through for the responder to drop. */
  readonly operation: number;
  readonly senderMac: Uint8Array;
  readonly senderIp: Uint8Array;
  readonly targetMac: Uint8Array;
  readonly targetIp: Uint8Array;
}

/**
 * Decodes an Ethernet frame carrying ARP. Total: returns a drop reason for frames that are too short,
 * too long, not ARP, not Ethernet/IPv4 ARP, or (given `ownMac`) sent from our own MAC.
 */
export function decodeArpFrame(frame: Uint8Array, ownMac?: Uint8Array): Decoded<ArpFrame> {
  if (frame.length < ARP_FRAME_BYTES) return dropped("truncated");
  if (frame.length > MAX_FRAME_BYTES) return dropped("oversized");
  if (etherTypeOf(frame) !== ETHERTYPE_ARP) return dropped("wrongEtherType");
  if (ownMac !== undefined && bytesEqualAt(frame, MAC_BYTES, ownMac, 0, MAC_BYTES))
    return dropped("selfSent");
  const htype = (frame[14]! << 8) | frame[15]!;
  const ptype = (frame[16]! << 8) | frame[17]!;
  if (
    htype !== HTYPE_ETHERNET ||
    ptype !== ETHERTYPE_IPV4 ||
    frame[18] !== MAC_BYTES ||
    frame[19] !== IPV4_BYTES
  ) {
    return dropped("malformed");
  }
  return {
    ok: true,
    value: {
      ethDst: frame.subarray(0, 6),
      ethSrc: frame.subarray(6, 12),
      operation: (frame[20]! << 8) | frame[21]!,
      senderMac: frame.subarray(22, 28),
      senderIp: frame.subarray(28, 32),
      targetMac: frame.subarray(32, 38),
      targetIp: frame.subarray(38, 42),
    },
  };
}

export interface ArpFrameFields {
  readonly ethDst: Uint8Array;
  readonly ethSrc: Uint8Array;
  readonly operation: number;
  readonly senderMac: Uint8Array;
  readonly senderIp: Uint8Array;
  readonly targetMac: Uint8Array;
  readonly targetIp: Uint8Array;
}

/** Encodes an Ethernet/IPv4 ARP frame, zero-padded to the 60-byte Ethernet minimum. */
export function encodeArpFrame(fields: ArpFrameFields): Uint8Array {
  const frame = new Uint8Array(MIN_FRAME_BYTES);
  writeEthernetHeader(frame, fields.ethDst, fields.ethSrc, ETHERTYPE_ARP);
  frame[14] = 0;
  frame[15] = HTYPE_ETHERNET;
  frame[16] = ETHERTYPE_IPV4 >> 8;
  frame[17] = ETHERTYPE_IPV4 & 0xff;
  frame[18] = MAC_BYTES;
  frame[19] = IPV4_BYTES;
  frame[20] = fields.operation >> 8;
  frame[21] = fields.operation & 0xff;
  frame.set(fields.senderMac.subarray(0, 6), 22);
  frame.set(fields.senderIp.subarray(0, 4), 28);
  frame.set(fields.targetMac.subarray(0, 6), 32);
  frame.set(fields.targetIp.subarray(0, 4), 38);
  return frame;
}

/**
 * The answer to an ARP request for `request.targetIp`: "targetIp is-at ourMac", unicast to the
 * requester (as mdlayher/arp's Client.Reply, which MetalLB uses).
 */
export function arpReplyFrame(request: ArpFrame, ourMac: Uint8Array): Uint8Array {
  return encodeArpFrame({
    ethDst: request.senderMac,
    ethSrc: ourMac,
    operation: ARP_REPLY,
    senderMac: ourMac,
    senderIp: request.targetIp,
    targetMac: request.senderMac,
    targetIp: request.senderIp,
  });
}

/**
 * Gratuitous ARP for `ip` (4 bytes) from `ourMac`, in both forms MetalLB sends on takeover: an ARP
 * request and an ARP reply, each to broadcast, with sender and target protocol address both `ip`
 * (RFC 5227 §3 "ARP Announcement"; the reply form for old stacks that only learn from replies).
 * The target hardware address is broadcast, as mdlayher/arp fills it for MetalLB.
 */
export function gratuitousArpFrames(
  ourMac: Uint8Array,
  ip: Uint8Array,
): [request: Uint8Array, reply: Uint8Array] {
  const frame = (operation: number) =>
    encodeArpFrame({
      ethDst: BROADCAST_MAC,
      ethSrc: ourMac,
      operation,
      senderMac: ourMac,
      senderIp: ip,
      targetMac: BROADCAST_MAC,
      targetIp: ip,
    });
  return [frame(ARP_REQUEST), frame(ARP_REPLY)];
}
