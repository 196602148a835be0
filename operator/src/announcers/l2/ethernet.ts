/**
 * Ethernet II framing shared by the ARP and NDP codecs: MAC addresses, ethertypes, frame sizes.
 * Pure: no I/O. Frames are plain Uint8Arrays holding the destination MAC first (no preamble, no FCS),
 * exactly what an AF_PACKET SOCK_RAW socket reads and writes.
 */

export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_IPV4 = 0x0800;
export const ETHERTYPE_IPV6 = 0x86dd;

export const MAC_BYTES = 6;
export const ETH_HEADER_BYTES = 14;
/** Frames shorter than this are padded with zeros on send (802.3 minimum, without the FCS). */
export const MIN_FRAME_BYTES = 60;
/**
 * Anything longer is "oversized": 1500-byte payload + 14-byte header + an 802.1Q tag. No ARP packet
 * or Neighbor Solicitation comes near it (42 and 86 bytes), so a longer frame is garbage or an attack.
 */
export const MAX_FRAME_BYTES = 1518;

export const BROADCAST_MAC: Uint8Array = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
export const ZERO_MAC: Uint8Array = new Uint8Array(6);

/** "02:42:ac:12:00:03" (also "-" separated, any case) -> 6 bytes, or undefined. Never throws. */
export function parseMac(text: string): Uint8Array | undefined {
  const parts = text.trim().split(/[:-]/);
  if (parts.length !== MAC_BYTES) return undefined;
  const out = new Uint8Array(MAC_BYTES);
  for (let i = 0; i < MAC_BYTES; i++) {
    const part = parts[i]!;
    if (!/^[0-9a-fA-F]{1,2}$/.test(part)) return undefined;
    out[i] = Number.parseInt(part, 16);
  }
  return out;
}

/** 6 bytes at `offset` -> "02:42:ac:12:00:03" (lower case, as `ip link` prints it). */
export function formatMac(bytes: Uint8Array, offset = 0): string {
  let out = "";
  for (let i = 0; i < MAC_BYTES; i++) {
    if (i > 0) out += ":";
    out += (bytes[offset + i] ?? 0).toString(16).padStart(2, "0");
  }
  return out;
}

/** Whether `length` bytes of `a` at `aOffset` equal `b` at `bOffset`. */
export function bytesEqualAt(
  a: Uint8Array,
  aOffset: number,
  b: Uint8Array,
  bOffset = 0,
  length = b.length,
): boolean {
  for (let i = 0; i < length; i++) if (a[aOffset + i] !== b[bOffset + i]) return false;
  return true;
}

export function isBroadcastAt(frame: Uint8Array, offset: number): boolean {
  for (let i = 0; i < MAC_BYTES; i++) if (frame[offset + i] !== 0xff) return false;
  return true;
}

/** Writes the 14-byte Ethernet II header. */
export function writeEthernetHeader(
  frame: Uint8Array,
  dst: Uint8Array,
  src: Uint8Array,
  etherType: number,
): void {
  frame.set(dst.subarray(0, MAC_BYTES), 0);
  frame.set(src.subarray(0, MAC_BYTES), MAC_BYTES);
  frame[12] = etherType >> 8;
  frame[13] = etherType & 0xff;
}

export function etherTypeOf(frame: Uint8Array): number {
  return ((frame[12] ?? 0) << 8) | (frame[13] ?? 0);
}
