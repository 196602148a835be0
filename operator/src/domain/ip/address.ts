import { familyBits, type IPFamily } from "./family.ts";

/**
 * An IP address as a family and an unsigned integer (bigint, so IPv6 needs no special cases).
 * IPv4-mapped IPv6 input (`::ffff:a.b.c.d`) is an IPv4 address, as Go's net.IP.To4() treats it:
 * MetalLB derives every family decision from To4(), so we must agree with it.
 */
export interface IPAddress {
  readonly family: IPFamily;
  readonly value: bigint;
}

const V4_MAPPED_PREFIX = 0xffffn << 32n;
const V4_MAPPED_MASK = ~((1n << 32n) - 1n) & ((1n << 128n) - 1n);

/** Builds an address, or undefined when the value does not fit the family. */
export function ipAddress(family: IPFamily, value: bigint): IPAddress | undefined {
  if (value < 0n || value >= 1n << BigInt(familyBits(family))) return undefined;
  return { family, value };
}

/**
 * Parses a textual IP address like Go's net.ParseIP: dotted-quad IPv4 without leading zeros
 * (rejected since Go 1.17), RFC 4291 IPv6 text (one `::`, optional trailing dotted quad), no zone,
 * no surrounding whitespace. Returns undefined for anything else; never throws.
 */
export function parseIP(text: string): IPAddress | undefined {
  if (text.includes(":")) {
    const value = parseIPv6(text);
    if (value === undefined) return undefined;
    if ((value & V4_MAPPED_MASK) === V4_MAPPED_PREFIX) return { family: "ipv4", value: value & 0xffffffffn };
    return { family: "ipv6", value };
  }
  const value = parseIPv4(text);
  return value === undefined ? undefined : { family: "ipv4", value };
}

function parseIPv4(text: string): bigint | undefined {
  const value = ipv4Number(text);
  return value === undefined ? undefined : BigInt(value);
}

/**
 * Dotted-quad IPv4 text (Go's rules: no leading zeros) as a 32-bit unsigned number, or undefined.
 * A hand-rolled scan: this runs for every status IP of every Service on every plan, and BGP masks
 * IPv4 prefixes with it without a BigInt.
 */
export function ipv4Number(text: string): number | undefined {
  let value = 0;
  let octets = 0;
  let i = 0;
  while (i <= text.length) {
    const start = i;
    let octet = 0;
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c < 48 || c > 57) break;
      octet = octet * 10 + (c - 48);
      i++;
    }
    const digits = i - start;
    // 1-3 digits, no leading zero (Go >= 1.17), at most 255.
    if (digits === 0 || digits > 3 || (digits > 1 && text.charCodeAt(start) === 48) || octet > 255)
      return undefined;
    value = value * 256 + octet;
    octets++;
    if (i === text.length) break;
    if (text.charCodeAt(i) !== 46 || octets === 4) return undefined;
    i++;
  }
  return octets === 4 ? value : undefined;
}

function hexDigit(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  if (code >= 65 && code <= 70) return code - 55;
  return -1;
}

/** A hand-rolled scanner (status IPs of every Service are parsed on every plan). */
function parseIPv6(text: string): bigint | undefined {
  if (text.length < 2 || text.length > 45) return undefined;
  const groups: number[] = [];
  let ellipsis = -1;
  let i = 0;
  if (text.charCodeAt(0) === 58) {
    if (text.charCodeAt(1) !== 58) return undefined;
    ellipsis = 0;
    i = 2;
  }
  while (i < text.length) {
    let j = i;
    let group = 0;
    while (j < text.length && j - i < 5) {
      const d = hexDigit(text.charCodeAt(j));
      if (d < 0) break;
      group = group * 16 + d;
      j++;
    }
    if (j < text.length && text.charCodeAt(j) === 46) {
      // A trailing dotted quad (RFC 4291 §2.2 form 3) stands for the last two groups.
      const v4 = groups.length <= 6 ? parseIPv4(text.slice(i)) : undefined;
      if (v4 === undefined) return undefined;
      groups.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      i = text.length;
      break;
    }
    if (j === i || j - i > 4) return undefined;
    groups.push(group);
    i = j;
    if (i === text.length) break;
    if (text.charCodeAt(i) !== 58) return undefined;
    i++;
    if (i < text.length && text.charCodeAt(i) === 58) {
      if (ellipsis >= 0) return undefined;
      ellipsis = groups.length;
      i++;
    } else if (i === text.length) {
      return undefined; // a single trailing colon
    }
  }
  if (ellipsis < 0 ? groups.length !== 8 : groups.length > 7) return undefined;
  if (ellipsis >= 0) groups.splice(ellipsis, 0, ...new Array<number>(8 - groups.length).fill(0));
  let hex = "0x";
  for (const group of groups) hex += group.toString(16).padStart(4, "0");
  return BigInt(hex);
}

/**
 * The canonical text of an address: dotted quad for IPv4, RFC 5952 for IPv6 (lower case, no
 * leading zeros, the longest run of two or more zero groups shortened to `::`, the first one on
 * a tie). This is also what Go's net.IP.String() prints, so status IPs compare equal to MetalLB's.
 */
export function formatIP(address: IPAddress): string {
  if (address.family === "ipv4") {
    const v = Number(address.value); // 32 bits: plain number arithmetic is much faster than bigint
    return `${v >>> 24}.${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
  }
  const hex = address.value.toString(16).padStart(32, "0");
  const groups: string[] = [];
  for (let i = 0; i < 32; i += 4) {
    let k = i;
    while (k < i + 3 && hex.charCodeAt(k) === 48) k++;
    groups.push(hex.slice(k, i + 4));
  }
  // The longest run of two or more zero groups becomes "::" (the first one on a tie).
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== "0") {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === "0") j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  if (bestStart < 0) return groups.join(":");
  return `${groups.slice(0, bestStart).join(":")}::${groups.slice(bestStart + bestLength).join(":")}`;
}

/** Canonicalizes a textual address; undefined if it does not parse. */
export function canonicalIP(text: string): string | undefined {
  const address = parseIP(text);
  return address === undefined ? undefined : formatIP(address);
}

/** Orders IPv4 before IPv6, then by value. */
export function compareAddresses(a: IPAddress, b: IPAddress): number {
  if (a.family !== b.family) return a.family === "ipv4" ? -1 : 1;
  return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
}

export function sameAddress(a: IPAddress, b: IPAddress): boolean {
  return a.family === b.family && a.value === b.value;
}

/**
 * A compact key for maps and sets: the number itself for IPv4 (fast in JS engines), a tagged
 * hex string for IPv6. Two addresses have the same key exactly when they are the same address.
 */
export function addressKey(address: IPAddress): number | string {
  return address.family === "ipv4" ? Number(address.value) : `6:${address.value.toString(16)}`;
}

/** The next address, or undefined after the last address of the family. */
export function nextAddress(address: IPAddress): IPAddress | undefined {
  return ipAddress(address.family, address.value + 1n);
}
