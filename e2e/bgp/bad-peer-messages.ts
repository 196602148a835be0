/**
 * Messages a misbehaving peer sends, built byte by byte (RFC 4271 §4): things our codec would
 * never encode (unknown capabilities and attributes, malformed lengths, a bad ORIGIN). The peer
 * plays AS 64500 with 4-octet ASNs, so AS_PATH carries 4-byte ASNs (RFC 6793 §4.1).
 */
import {
  encodeOpen,
  encodeRouteRefresh,
  NO_CAPABILITIES,
} from "../../operator/src/announcers/bgp/codec/index.ts";

export const PEER_ASN = 64500;
/** A prefix the peer announces; we accept and ignore it (originate only). */
const PEER_PREFIX = [24, 10, 99, 0];
const NEXT_HOP = [172, 18, 0, 254];

function message(type: number, body: readonly number[]): Uint8Array {
  const length = 19 + body.length;
  return Uint8Array.from([...new Array(16).fill(0xff), length >> 8, length & 0xff, type, ...body]);
}

function u16(n: number): number[] {
  return [(n >> 8) & 0xff, n & 0xff];
}

function u32(n: number): number[] {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

function update(attributes: readonly number[], nlri: readonly number[] = PEER_PREFIX): Uint8Array {
  return message(2, [...u16(0), ...u16(attributes.length), ...attributes, ...nlri]);
}

const origin = (value: number) => [0x40, 1, 1, value];
const asPath = [0x40, 2, 6, 2, 1, ...u32(PEER_ASN)];
const nextHop = [0x40, 3, 4, ...NEXT_HOP];

/**
 * Our OPEN: IPv4 unicast, route refresh, 4-octet AS, and capabilities nobody defined (codes 200 and
 * 239 with values), which RFC 5492 §3 says a speaker ignores.
 */
export function openWithUnknownCapabilities(): Uint8Array {
  const encoded = encodeOpen({
    myAS: PEER_ASN,
    holdTimeS: 90,
    bgpIdentifier: "172.18.0.254",
    capabilities: {
      ...NO_CAPABILITIES,
      families: ["ipv4-unicast"],
      routeRefresh: true,
      fourOctetASN: PEER_ASN,
      unknown: [
        { code: 200, value: Uint8Array.of(1, 2, 3) },
        { code: 239, value: new Uint8Array(0) },
      ],
    },
  });
  if (!encoded.ok) throw new Error(encoded.error.detail);
  return encoded.value;
}

/** The same OPEN with hold time 1, which our encoder refuses to write (RFC 4271 §4.2: 0 or >= 3). */
export function openWithHoldTime1(): Uint8Array {
  const bytes = openWithUnknownCapabilities().slice();
  // Header (19), version (1), My AS (2), then the 2-byte Hold Time.
  bytes.set(u16(1), 22);
  return bytes;
}

/** A well-formed UPDATE carrying an unknown optional transitive attribute (type 240): passed on, not an error. */
export const UPDATE_WITH_UNKNOWN_ATTRIBUTE = update([
  ...origin(0),
  ...asPath,
  ...nextHop,
  0xc0,
  240,
  4,
  0xde,
  0xad,
  0xbe,
  0xef,
]);

/** ORIGIN 7 (RFC 7606 §7.1: treat-as-withdraw, the session stays). */
export const UPDATE_WITH_BAD_ORIGIN = update([...origin(7), ...asPath, ...nextHop]);

/** The path attribute length says 200 bytes, the body holds 18 (RFC 7606 §4: 3/1, session reset). */
export const UPDATE_ATTRIBUTES_OVERRUN = message(2, [
  ...u16(0),
  ...u16(200),
  ...origin(0),
  ...asPath,
  ...nextHop,
]);

/** An NLRI of /24 with one byte of address left (RFC 7606 §5.3: 3/10, session reset). */
export const UPDATE_NLRI_OVERRUN = update([...origin(0), ...asPath, ...nextHop], [24, 10]);

export const ROUTE_REFRESH_IPV4 = encodeRouteRefresh(1, 1);
