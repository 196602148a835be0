/**
 * The heartbeat packet: encode and decode, pure and total (decoding never throws; every way a
 * packet can be wrong is a DropReason).
 *
 *   offset  size  field
 *   0       4     magic "MBHB" (metalbun heartbeat)
 *   4       1     version = 1
 *   5       1     kind: 1 = alive, 2 = leaving
 *   6       1     flags: bit 0 = a tag follows the name; other bits must be 0
 *   7       1     L = length of the node name in bytes, 1..253
 *   8       8     incarnation, big-endian: the sender's wall clock (ms) when it started, 1..2^53-1
 *   16      8     sequence, big-endian: 1, 2, 3, ... within one incarnation, 1..2^53-1
 *   24      2     the sender's beat interval in ms, big-endian, 1..65535
 *   26      L     node name, UTF-8, a DNS-1123 subdomain (a Kubernetes Node name)
 *   26+L    16    tag = HMAC-SHA-256(key, bytes 0 .. 26+L) truncated to 16 bytes (RFC 2104 §5)
 *
 * Everything the receiver relies on (kind, name, incarnation, sequence, interval) is under the tag.
 * A packet is exactly 26 + L (+ 16) bytes: shorter is "truncated", longer is "oversized".
 */
import { timingSafeEqual } from "node:crypto";
import type { BeatKey } from "./key.ts";
import type { DropReason } from "./reasons.ts";

export type BeatKind = "alive" | "leaving";

export interface Beat {
  readonly kind: BeatKind;
  readonly node: string;
  readonly incarnation: number;
  readonly seq: number;
  readonly intervalMs: number;
}

export type DecodedBeat =
  | { readonly ok: true; readonly beat: Beat }
  | { readonly ok: false; readonly reason: DropReason };

const MAGIC = [0x4d, 0x42, 0x48, 0x42] as const;
const VERSION = 1;
const KIND_CODE: Record<BeatKind, number> = { alive: 1, leaving: 2 };
const FLAG_TAGGED = 0x01;
export const HEADER_BYTES = 26;
export const TAG_BYTES = 16;
export const MAX_NAME_BYTES = 253;
export const MAX_PACKET_BYTES = HEADER_BYTES + MAX_NAME_BYTES + TAG_BYTES;

/** Kubernetes Node names are DNS-1123 subdomains: lower-case alphanumerics, '-' and '.'. */
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

export function isValidNodeName(name: string): boolean {
  const bytes = utf8.encode(name).length;
  return bytes >= 1 && bytes <= MAX_NAME_BYTES && DNS1123_SUBDOMAIN.test(name);
}

function validNumber(n: number, max: number): boolean {
  return Number.isInteger(n) && n >= 1 && n <= max;
}

function tagOf(key: BeatKey, signed: Uint8Array): Uint8Array {
  const mac = new Bun.CryptoHasher("sha256", key).update(signed).digest();
  return new Uint8Array(mac.buffer, mac.byteOffset, TAG_BYTES);
}

/** The packet bytes of a beat; tagged when a key is given. Throws on a beat no receiver would accept. */
export function encodeBeat(beat: Beat, key: BeatKey | undefined): Uint8Array {
  if (!isValidNodeName(beat.node))
    throw new Error(`membership: invalid node name ${JSON.stringify(beat.node)}`);
  if (!validNumber(beat.incarnation, Number.MAX_SAFE_INTEGER)) throw new Error("membership: bad incarnation");
  if (!validNumber(beat.seq, Number.MAX_SAFE_INTEGER)) throw new Error("membership: bad sequence");
  if (!validNumber(beat.intervalMs, 0xffff)) throw new Error("membership: bad interval");
  const name = utf8.encode(beat.node);
  const signedLength = HEADER_BYTES + name.length;
  const bytes = new Uint8Array(signedLength + (key ? TAG_BYTES : 0));
  const view = new DataView(bytes.buffer);
  bytes.set(MAGIC, 0);
  bytes[4] = VERSION;
  bytes[5] = KIND_CODE[beat.kind];
  bytes[6] = key ? FLAG_TAGGED : 0;
  bytes[7] = name.length;
  view.setBigUint64(8, BigInt(beat.incarnation));
  view.setBigUint64(16, BigInt(beat.seq));
  view.setUint16(24, beat.intervalMs);
  bytes.set(name, HEADER_BYTES);
  if (key) bytes.set(tagOf(key, bytes.subarray(0, signedLength)), signedLength);
  return bytes;
}

function kindOf(code: number | undefined): BeatKind | undefined {
  if (code === 1) return "alive";
  if (code === 2) return "leaving";
  return undefined;
}

function safeNumber(view: DataView, offset: number): number | undefined {
  const n = view.getBigUint64(offset);
  return n >= 1n && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : undefined;
}

/**
 * The beat in a received packet, or why it must be ignored. The tag is checked (in constant time)
 * before any field is trusted; with a key, untagged packets are refused, and without one, tagged
 * packets are (we cannot tell a forgery from a peer that has the key we lack).
 */
export function decodeBeat(bytes: Uint8Array, key: BeatKey | undefined): DecodedBeat {
  if (bytes.length < HEADER_BYTES) {
    const prefix = Math.min(bytes.length, MAGIC.length);
    for (let i = 0; i < prefix; i += 1)
      if (bytes[i] !== MAGIC[i]) return { ok: false, reason: "notHeartbeat" };
    return { ok: false, reason: "truncated" };
  }
  for (let i = 0; i < MAGIC.length; i += 1)
    if (bytes[i] !== MAGIC[i]) return { ok: false, reason: "notHeartbeat" };
  if (bytes[4] !== VERSION) return { ok: false, reason: "badVersion" };
  const flags = bytes[6] ?? 0;
  const kind = kindOf(bytes[5]);
  if (kind === undefined || (flags & ~FLAG_TAGGED) !== 0) return { ok: false, reason: "badKind" };
  const tagged = (flags & FLAG_TAGGED) !== 0;
  const nameLength = bytes[7] ?? 0;
  const signedLength = HEADER_BYTES + nameLength;
  const expectedLength = signedLength + (tagged ? TAG_BYTES : 0);
  if (bytes.length < expectedLength) return { ok: false, reason: "truncated" };
  if (bytes.length > expectedLength) return { ok: false, reason: "oversized" };
  if (key && !tagged) return { ok: false, reason: "unauthenticated" };
  if (!key && tagged) return { ok: false, reason: "unverifiable" };
  if (key) {
    const expected = tagOf(key, bytes.subarray(0, signedLength));
    if (!timingSafeEqual(expected, bytes.subarray(signedLength, expectedLength))) {
      return { ok: false, reason: "forged" };
    }
  }
  let node: string;
  try {
    node = strictUtf8.decode(bytes.subarray(HEADER_BYTES, signedLength));
  } catch {
    return { ok: false, reason: "badName" };
  }
  if (!isValidNodeName(node)) return { ok: false, reason: "badName" };
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const incarnation = safeNumber(view, 8);
  const seq = safeNumber(view, 16);
  const intervalMs = view.getUint16(24);
  if (incarnation === undefined || seq === undefined || intervalMs === 0)
    return { ok: false, reason: "badNumber" };
  return { ok: true, beat: { kind, node, incarnation, seq, intervalMs } };
}
