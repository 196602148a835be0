/**
 * NLRI prefixes (RFC 4271 §4.3, RFC 4760 §5): a bit length and the fewest whole bytes holding it.
 * Decoding masks host bits, so a prefix always reads back as its canonical network address.
 */
import { formatIPv4, formatIPv6, ipv4Number, ipv6Bytes } from "./addresses.ts";
import { bgpError } from "./errors.ts";
import type { BgpError, Prefix } from "./types.ts";

export type PrefixFamily = Prefix["family"];

export function maxPrefixLength(family: PrefixFamily): number {
  return family === "ipv4" ? 32 : 128;
}

/** Decodes the prefixes in bytes[start, end) into `out`; a bad length or an overrun is 3/10. */
export function decodePrefixes(
  bytes: Uint8Array,
  start: number,
  end: number,
  family: PrefixFamily,
  out: Prefix[],
): BgpError | undefined {
  const max = maxPrefixLength(family);
  let at = start;
  while (at < end) {
    const length = bytes[at]!;
    if (length > max) return bgpError("invalidNetworkField", `${family} prefix length ${length}`);
    const size = (length + 7) >> 3;
    if (at + 1 + size > end)
      return bgpError("invalidNetworkField", `${family} prefix /${length} runs past its field`);
    const address =
      family === "ipv4" ? ipv4Address(bytes, at + 1, length) : ipv6Address(bytes, at + 1, length);
    out.push({ family, address, length });
    at += 1 + size;
  }
  return undefined;
}

function ipv4Address(bytes: Uint8Array, at: number, length: number): string {
  let value = 0;
  for (let i = 0; i < 4; i++) value = value * 256 + (i * 8 < length ? bytes[at + i]! : 0);
  const mask = length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
  return formatIPv4((value & mask) >>> 0);
}

function ipv6Address(bytes: Uint8Array, at: number, length: number): string {
  const full = new Uint8Array(16);
  const size = (length + 7) >> 3;
  full.set(bytes.subarray(at, at + size));
  if (length % 8 !== 0) full[size - 1]! &= (0xff << (8 - (length % 8))) & 0xff;
  return formatIPv6(full, 0);
}

/** A prefix's wire bytes, host bits cleared; undefined when the address or length is invalid. */
export function encodePrefix(prefix: Prefix): Uint8Array | undefined {
  const max = maxPrefixLength(prefix.family);
  const length = prefix.length;
  if (!Number.isInteger(length) || length < 0 || length > max) return undefined;
  const size = (length + 7) >> 3;
  const out = new Uint8Array(1 + size);
  out[0] = length;
  if (prefix.family === "ipv4") {
    const value = ipv4Number(prefix.address);
    if (value === undefined) return undefined;
    for (let i = 0; i < size; i++) out[1 + i] = (value >>> (24 - 8 * i)) & 0xff;
  } else {
    const bytes = ipv6Bytes(prefix.address);
    if (bytes === undefined) return undefined;
    out.set(bytes.subarray(0, size), 1);
  }
  if (length % 8 !== 0) out[size]! &= (0xff << (8 - (length % 8))) & 0xff;
  return out;
}
