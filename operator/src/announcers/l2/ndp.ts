/**
 * NDP Neighbor Solicitation / Neighbor Advertisement (RFC 4861 §4.3, §4.4) in whole Ethernet frames
 * (Ethernet II + IPv6 header + ICMPv6), with the link-layer address options (§4.6.1) and the ICMPv6
 * checksum over the IPv6 pseudo-header (RFC 4443 §2.3, RFC 8200 §8.1). Pure; the decoder is total.
 *
 *   0      14                                   54                  58          62         78
 *   | eth  | IPv6: ver/tc/flow, len, nh=58,     | ICMPv6: type code | NS: resvd | target     | options
 *   |      | hop limit, src(16), dst(16)        |         checksum  | NA: flags |  (16)      | (8-byte units)
 *
 * Validation is RFC 4861 §7.1.1/§7.1.2: hop limit 255, checksum, code 0, ICMP length >= 24, target
 * not multicast, every option length > 0, an NS from the unspecified address goes to a solicited-node
 * group and has no source link-layer option, a multicast NA has Solicited = 0.
 */
import { type Decoded, dropped } from "./drop.ts";
import {
  bytesEqualAt,
  ETH_HEADER_BYTES,
  ETHERTYPE_IPV6,
  etherTypeOf,
  MAC_BYTES,
  MAX_FRAME_BYTES,
  writeEthernetHeader,
} from "./ethernet.ts";

export const IPV6_HEADER_BYTES = 40;
export const IPPROTO_ICMPV6 = 58;
export const ICMPV6_NEIGHBOR_SOLICITATION = 135;
export const ICMPV6_NEIGHBOR_ADVERTISEMENT = 136;
/** RFC 4861: NDP is sent with hop limit 255 and accepted only with 255 (proof of on-link origin). */
export const NDP_HOP_LIMIT = 255;
/** ICMPv6 header (4) + reserved/flags (4) + target (16). */
const NDP_MESSAGE_BYTES = 24;
const ICMP_OFFSET = ETH_HEADER_BYTES + IPV6_HEADER_BYTES;
export const NDP_MIN_FRAME_BYTES = ICMP_OFFSET + NDP_MESSAGE_BYTES;

const OPTION_SOURCE_LINK_LAYER = 1;
const OPTION_TARGET_LINK_LAYER = 2;

/** NA flags (first byte after the ICMPv6 header). */
export const NA_FLAG_ROUTER = 0x80;
export const NA_FLAG_SOLICITED = 0x40;
export const NA_FLAG_OVERRIDE = 0x20;

/** ff02::1, all nodes on the link: where unsolicited NAs go. */
export const ALL_NODES_MULTICAST: Uint8Array = new Uint8Array([
  0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
]);

export type NdpKind = "ns" | "na";

/** A decoded NS or NA frame. Byte fields are views into the received frame. */
export interface NdpFrame {
  readonly ethDst: Uint8Array;
  readonly ethSrc: Uint8Array;
  readonly srcIp: Uint8Array;
  readonly dstIp: Uint8Array;
  readonly hopLimit: number;
  readonly kind: NdpKind;
  /** The NA flags byte (R 0x80, S 0x40, O 0x20); 0 for an NS. */
  readonly flags: number;
  readonly target: Uint8Array;
  /** Source link-layer address option of an NS, target link-layer address option of an NA. */
  readonly linkLayer: Uint8Array | undefined;
}

export function isMulticastIPv6(ip: Uint8Array): boolean {
  return ip[0] === 0xff;
}

export function isUnspecifiedIPv6(ip: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) if (ip[i] !== 0) return false;
  return true;
}

/** ff02::1:ffXX:XXXX for the low 24 bits of `ip` (RFC 4291 §2.7.1). */
export function solicitedNodeMulticast(ip: Uint8Array): Uint8Array {
  const group = new Uint8Array([0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, 0, 0, 0]);
  group.set(ip.subarray(13, 16), 13);
  return group;
}

/** 33:33 followed by the low 32 bits of an IPv6 multicast address (RFC 2464 §7). */
export function ipv6MulticastMac(group: Uint8Array): Uint8Array {
  const mac = new Uint8Array([0x33, 0x33, 0, 0, 0, 0]);
  mac.set(group.subarray(12, 16), 2);
  return mac;
}

function isSolicitedNodeMulticast(ip: Uint8Array): boolean {
  return bytesEqualAt(ip, 0, solicitedNodeMulticast(ip), 0, 13);
}

/**
 * The ICMPv6 checksum of `message` (ICMPv6 header onwards, `length` bytes at `offset` of `bytes`)
 * over the pseudo-header (source, destination, upper-layer length, next header 58). Computed over
 * a message whose checksum field is zero, it is the value to write; over a received message it is 0
 * when the checksum verifies.
 */
export function icmpv6Checksum(
  srcIp: Uint8Array,
  dstIp: Uint8Array,
  bytes: Uint8Array,
  offset = 0,
  length = bytes.length - offset,
): number {
  let sum = 0;
  for (let i = 0; i < 16; i += 2) {
    sum += (srcIp[i]! << 8) | srcIp[i + 1]!;
    sum += (dstIp[i]! << 8) | dstIp[i + 1]!;
  }
  sum += (length >>> 16) + (length & 0xffff) + IPPROTO_ICMPV6;
  const end = offset + length;
  let i = offset;
  for (; i + 1 < end; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (i < end) sum += bytes[i]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/**
 * Decodes an Ethernet frame carrying an NS or NA. Total: any other frame, or one failing RFC 4861's
 * validity checks, or (given `ownMac`) one sent from our own MAC, comes back as a drop reason.
 */
export function decodeNdpFrame(frame: Uint8Array, ownMac?: Uint8Array): Decoded<NdpFrame> {
  if (frame.length < ETH_HEADER_BYTES + IPV6_HEADER_BYTES) return dropped("truncated");
  if (frame.length > MAX_FRAME_BYTES) return dropped("oversized");
  if (etherTypeOf(frame) !== ETHERTYPE_IPV6) return dropped("wrongEtherType");
  if (ownMac !== undefined && bytesEqualAt(frame, MAC_BYTES, ownMac, 0, MAC_BYTES))
    return dropped("selfSent");
  if (frame[14]! >> 4 !== 6) return dropped("malformed");
  // Extension headers (hop-by-hop, ...) never precede NDP in practice; like a BPF filter on next
  // header 58 we treat them as "not NDP".
  if (frame[20] !== IPPROTO_ICMPV6) return dropped("messageType");
  const payloadLength = (frame[18]! << 8) | frame[19]!;
  if (ICMP_OFFSET + payloadLength > frame.length || payloadLength < 4) return dropped("truncated");
  const type = frame[ICMP_OFFSET]!;
  if (type !== ICMPV6_NEIGHBOR_SOLICITATION && type !== ICMPV6_NEIGHBOR_ADVERTISEMENT)
    return dropped("messageType");
  if (payloadLength < NDP_MESSAGE_BYTES) return dropped("truncated");
  const hopLimit = frame[21]!;
  if (hopLimit !== NDP_HOP_LIMIT) return dropped("badHopLimit");
  const srcIp = frame.subarray(22, 38);
  const dstIp = frame.subarray(38, 54);
  if (icmpv6Checksum(srcIp, dstIp, frame, ICMP_OFFSET, payloadLength) !== 0) return dropped("badChecksum");
  if (frame[ICMP_OFFSET + 1] !== 0) return dropped("malformed");
  const target = frame.subarray(ICMP_OFFSET + 8, ICMP_OFFSET + 24);
  if (isMulticastIPv6(target)) return dropped("malformed");
  const kind: NdpKind = type === ICMPV6_NEIGHBOR_SOLICITATION ? "ns" : "na";
  const wantedOption = kind === "ns" ? OPTION_SOURCE_LINK_LAYER : OPTION_TARGET_LINK_LAYER;
  let linkLayer: Uint8Array | undefined;
  const end = ICMP_OFFSET + payloadLength;
  for (let at = ICMP_OFFSET + NDP_MESSAGE_BYTES; at < end; ) {
    if (at + 2 > end) return dropped("malformed");
    const optionBytes = frame[at + 1]! * 8;
    if (optionBytes === 0 || at + optionBytes > end) return dropped("malformed");
    // Ethernet link-layer address options are exactly 8 bytes (RFC 2464 §6).
    if (frame[at] === wantedOption && linkLayer === undefined) {
      if (optionBytes !== 8) return dropped("malformed");
      linkLayer = frame.subarray(at + 2, at + 8);
    }
    at += optionBytes;
  }
  const flags = kind === "na" ? frame[ICMP_OFFSET + 4]! & 0xe0 : 0;
  if (
    kind === "ns" &&
    isUnspecifiedIPv6(srcIp) &&
    (linkLayer !== undefined || !isSolicitedNodeMulticast(dstIp))
  ) {
    return dropped("malformed");
  }
  if (kind === "na" && isMulticastIPv6(dstIp) && (flags & NA_FLAG_SOLICITED) !== 0)
    return dropped("malformed");
  return {
    ok: true,
    value: {
      ethDst: frame.subarray(0, 6),
      ethSrc: frame.subarray(6, 12),
      srcIp,
      dstIp,
      hopLimit,
      kind,
      flags,
      target,
      linkLayer,
    },
  };
}

export interface NdpFrameFields {
  readonly ethDst: Uint8Array;
  readonly ethSrc: Uint8Array;
  readonly srcIp: Uint8Array;
  readonly dstIp: Uint8Array;
  /** Default 255; anything else only for tests of the receiving side. */
  readonly hopLimit?: number;
  readonly kind: NdpKind;
  /** NA flags (NA_FLAG_*); ignored for an NS. */
  readonly flags?: number;
  readonly target: Uint8Array;
  /** Added as the source (NS) or target (NA) link-layer address option when given. */
  readonly linkLayer?: Uint8Array;
}

/** Encodes an NS or NA frame with a correct ICMPv6 checksum. */
export function encodeNdpFrame(fields: NdpFrameFields): Uint8Array {
  const payloadLength = NDP_MESSAGE_BYTES + (fields.linkLayer ? 8 : 0);
  const frame = new Uint8Array(ICMP_OFFSET + payloadLength);
  writeEthernetHeader(frame, fields.ethDst, fields.ethSrc, ETHERTYPE_IPV6);
  frame[14] = 0x60;
  frame[18] = payloadLength >> 8;
  frame[19] = payloadLength & 0xff;
  frame[20] = IPPROTO_ICMPV6;
  frame[21] = fields.hopLimit ?? NDP_HOP_LIMIT;
  frame.set(fields.srcIp.subarray(0, 16), 22);
  frame.set(fields.dstIp.subarray(0, 16), 38);
  frame[ICMP_OFFSET] = fields.kind === "ns" ? ICMPV6_NEIGHBOR_SOLICITATION : ICMPV6_NEIGHBOR_ADVERTISEMENT;
  if (fields.kind === "na") frame[ICMP_OFFSET + 4] = (fields.flags ?? 0) & 0xe0;
  frame.set(fields.target.subarray(0, 16), ICMP_OFFSET + 8);
  if (fields.linkLayer) {
    const at = ICMP_OFFSET + NDP_MESSAGE_BYTES;
    frame[at] = fields.kind === "ns" ? OPTION_SOURCE_LINK_LAYER : OPTION_TARGET_LINK_LAYER;
    frame[at + 1] = 1;
    frame.set(fields.linkLayer.subarray(0, 6), at + 2);
  }
  const checksum = icmpv6Checksum(fields.srcIp, fields.dstIp, frame, ICMP_OFFSET, payloadLength);
  frame[ICMP_OFFSET + 2] = checksum >> 8;
  frame[ICMP_OFFSET + 3] = checksum & 0xff;
  return frame;
}

/**
 * The source address of our NAs is the target (the VIP) itself, as a host that owns the address
 * answers. RFC 4861 §7.2.4 asks for "an address assigned to the interface", which the VIP is, as far
 * as the link can tell. MetalLB sends from the interface's link-local address instead; receiving
 * kernels accept either, but tools that look up a neighbour (ndisc6, measured: iputils' and
 * Debian's 1.0.5) only accept an answer that comes from the address they asked for.
 */

/**
 * The solicited NA answering `ns` (which must carry a source link-layer address): to the solicitor's
 * address and MAC, Solicited = 1 and Override = 0 as MetalLB sends it, with our MAC in the target
 * link-layer address option.
 */
export function solicitedAdvertisementFrame(
  ns: NdpFrame & { readonly linkLayer: Uint8Array },
  ourMac: Uint8Array,
): Uint8Array {
  return encodeNdpFrame({
    ethDst: ns.linkLayer,
    ethSrc: ourMac,
    srcIp: ns.target,
    dstIp: ns.srcIp,
    kind: "na",
    flags: NA_FLAG_SOLICITED,
    target: ns.target,
    linkLayer: ourMac,
  });
}

/** The unsolicited NA for `target` sent on takeover: to ff02::1, Override = 1, Solicited = 0. */
export function unsolicitedAdvertisementFrame(ourMac: Uint8Array, target: Uint8Array): Uint8Array {
  return encodeNdpFrame({
    ethDst: ipv6MulticastMac(ALL_NODES_MULTICAST),
    ethSrc: ourMac,
    srcIp: target,
    dstIp: ALL_NODES_MULTICAST,
    kind: "na",
    flags: NA_FLAG_OVERRIDE,
    target,
    linkLayer: ourMac,
  });
}
