/**
 * AS_PATH and AS4_PATH values (RFC 4271 §4.3, RFC 6793): segments of type, count, ASNs, each ASN 2
 * or 4 octets. metalbun sends one AS_SEQUENCE; received paths are flattened for logs and counts.
 */
import { AsPathSegment } from "./attributes.ts";
import { u16, u32 } from "./bytes.ts";

/**
 * The ASNs of every segment in order, or undefined when the value is malformed (RFC 7606 §7.2):
 * a bad segment type, an empty segment, an overrun, or AS 0 (RFC 7607 §2).
 */
export function decodeAsPath(value: Uint8Array, asnSize: 2 | 4): number[] | undefined {
  const asns: number[] = [];
  let at = 0;
  while (at < value.length) {
    if (at + 2 > value.length) return undefined;
    const type = value[at]!;
    const count = value[at + 1]!;
    if (type < AsPathSegment.set || type > AsPathSegment.confedSet || count === 0) return undefined;
    const end = at + 2 + count * asnSize;
    if (end > value.length) return undefined;
    for (let p = at + 2; p < end; p += asnSize) {
      const asn = asnSize === 4 ? u32(value, p) : u16(value, p);
      if (asn === 0) return undefined;
      asns.push(asn);
    }
    at = end;
  }
  return asns;
}

/** One AS_SEQUENCE per 255 ASNs (a segment's count is one byte); empty for an empty path. */
export function encodeAsPath(
  asns: readonly number[],
  asnSize: 2 | 4,
  mapAsn: (asn: number) => number,
): Uint8Array {
  const segments = Math.ceil(asns.length / 255);
  const out = new Uint8Array(segments * 2 + asns.length * asnSize);
  let at = 0;
  for (let s = 0; s < segments; s++) {
    const part = asns.slice(s * 255, s * 255 + 255);
    out[at++] = AsPathSegment.sequence;
    out[at++] = part.length;
    for (const asn of part) {
      const v = mapAsn(asn) >>> 0;
      if (asnSize === 4) {
        out[at++] = v >>> 24;
        out[at++] = (v >>> 16) & 0xff;
      }
      out[at++] = (v >>> 8) & 0xff;
      out[at++] = v & 0xff;
    }
  }
  return out;
}
