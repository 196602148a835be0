/**
 * UPDATEs metalbun originates (RFC 4271 §4.3, RFC 4760, RFC 6793, RFC 1997, RFC 8092), packed: as
 * many prefixes per message as the size limit allows (4096, or 65535 with Extended Message), all
 * sharing one attribute set. Withdrawals are packed the same way and never exceed the limit (MetalLB
 * native puts every withdrawal in one UPDATE, which breaks past about 814 /32s).
 *
 * IPv4: NLRI field + NEXT_HOP. IPv6: MP_REACH_NLRI / MP_UNREACH_NLRI only, with ORIGIN and AS_PATH
 * (+ LOCAL_PREF) and no NEXT_HOP (RFC 4760 §3). MP_REACH_NLRI comes first (RFC 7606 §5.1), the rest
 * in type order. Toward a peer without 4-octet AS: 2-octet AS_PATH with AS_TRANS and, when some ASN
 * needs it, AS4_PATH (RFC 6793 §4.2.2).
 */
import { ipv4Number, ipv6Bytes } from "./addresses.ts";
import { encodeAsPath } from "./as-path.ts";
import { AttributeFlag, AttributeType, ORIGINS } from "./attributes.ts";
import { ByteWriter } from "./bytes.ts";
import { type Encoded, encodeError, isAsn, isCommunity, isU32 } from "./encode-error.ts";
import { afiOf } from "./family.ts";
import { MAX_EXTENDED_MESSAGE_LENGTH, MessageType, messageWriter } from "./header.ts";
import { twoOctetAS } from "./open.ts";
import { encodePrefix } from "./prefix.ts";
import {
  type Family,
  HEADER_LENGTH,
  MAX_MESSAGE_LENGTH,
  type OriginatedAttributes,
  type Prefix,
  SAFI_UNICAST,
  type SessionCodecContext,
} from "./types.ts";

const WELL_KNOWN = AttributeFlag.transitive;
const OPTIONAL_TRANSITIVE = AttributeFlag.optional | AttributeFlag.transitive;
const OPTIONAL_NON_TRANSITIVE = AttributeFlag.optional;
/** Withdrawn-routes length and total path attribute length. */
const UPDATE_FIXED = HEADER_LENGTH + 4;
/** An attribute header with the extended (2-byte) length. */
const EXTENDED_ATTRIBUTE_HEADER = 4;

export function maxUpdateLength(ctx: SessionCodecContext): number {
  return ctx.extendedMessage ? MAX_EXTENDED_MESSAGE_LENGTH : MAX_MESSAGE_LENGTH;
}

/** flags, type, length (1 byte, or 2 with Extended Length when the value exceeds 255 bytes), value. */
function attribute(flags: number, type: number, value: Uint8Array): Uint8Array {
  const extended = value.length > 255;
  const header = extended ? 4 : 3;
  const out = new Uint8Array(header + value.length);
  out[0] = extended ? flags | AttributeFlag.extendedLength : flags;
  out[1] = type;
  if (extended) {
    out[2] = value.length >> 8;
    out[3] = value.length & 0xff;
  } else {
    out[2] = value.length;
  }
  out.set(value, header);
  return out;
}

function u32Values(values: readonly number[]): Uint8Array {
  const writer = new ByteWriter(values.length * 4);
  for (const v of values) writer.u32(v);
  return writer.bytes;
}

/** Every attribute except MP_REACH_NLRI, in type order; or why they cannot be encoded. */
function sharedAttributes(
  ctx: SessionCodecContext,
  family: Family,
  attributes: OriginatedAttributes,
): Encoded<Uint8Array[]> {
  const { asPath, localPref, communities, largeCommunities } = attributes;
  const bad = asPath.find((asn) => !isAsn(asn));
  if (bad !== undefined) return encodeError("invalidAsn", `AS_PATH holds ${bad}`);
  if (localPref !== undefined && !isU32(localPref))
    return encodeError("invalidAttribute", `LOCAL_PREF ${localPref}`);
  if (!communities.every(isCommunity)) return encodeError("invalidAttribute", "a community is not a u32");
  if (!largeCommunities.every((c) => isU32(c.global) && isU32(c.local1) && isU32(c.local2))) {
    return encodeError("invalidAttribute", "a large community part is not a u32");
  }
  const origin = ORIGINS.indexOf(attributes.origin);
  if (origin < 0) return encodeError("invalidAttribute", `ORIGIN ${attributes.origin}`);

  const out: Uint8Array[] = [attribute(WELL_KNOWN, AttributeType.origin, Uint8Array.of(origin))];
  const fourOctet = ctx.fourOctetASN;
  out.push(
    attribute(
      WELL_KNOWN,
      AttributeType.asPath,
      fourOctet ? encodeAsPath(asPath, 4, (asn) => asn) : encodeAsPath(asPath, 2, twoOctetAS),
    ),
  );
  if (family === "ipv4-unicast") {
    const nextHop = attributes.nextHops.length === 1 ? ipv4Number(attributes.nextHops[0]!) : undefined;
    if (nextHop === undefined) {
      return encodeError(
        "invalidNextHop",
        `IPv4 routes need one IPv4 next hop, got [${attributes.nextHops}]`,
      );
    }
    out.push(attribute(WELL_KNOWN, AttributeType.nextHop, u32Values([nextHop])));
  }
  if (localPref !== undefined)
    out.push(attribute(WELL_KNOWN, AttributeType.localPref, u32Values([localPref])));
  if (communities.length > 0)
    out.push(attribute(OPTIONAL_TRANSITIVE, AttributeType.communities, u32Values(communities)));
  if (!fourOctet && asPath.some((asn) => asn > 0xffff)) {
    out.push(
      attribute(
        OPTIONAL_TRANSITIVE,
        AttributeType.as4Path,
        encodeAsPath(asPath, 4, (asn) => asn),
      ),
    );
  }
  if (largeCommunities.length > 0) {
    const parts = largeCommunities.flatMap((c) => [c.global, c.local1, c.local2]);
    out.push(attribute(OPTIONAL_TRANSITIVE, AttributeType.largeCommunity, u32Values(parts)));
  }
  return { ok: true, value: out };
}

function encodePrefixes(family: Family, prefixes: readonly Prefix[]): Encoded<Uint8Array[]> {
  const expected = family === "ipv4-unicast" ? "ipv4" : "ipv6";
  const out: Uint8Array[] = [];
  for (const prefix of prefixes) {
    const bytes = prefix.family === expected ? encodePrefix(prefix) : undefined;
    if (bytes === undefined) {
      return encodeError(
        "invalidPrefix",
        `${prefix.address}/${prefix.length} is not a valid ${expected} prefix`,
      );
    }
    out.push(bytes);
  }
  return { ok: true, value: out };
}

/** Splits encoded prefixes into runs of at most `budget` bytes, in order. */
function pack(prefixes: readonly Uint8Array[], budget: number): Uint8Array[][] | undefined {
  const groups: Uint8Array[][] = [];
  let group: Uint8Array[] = [];
  let size = 0;
  for (const prefix of prefixes) {
    if (prefix.length > budget) return undefined;
    if (size + prefix.length > budget) {
      groups.push(group);
      group = [];
      size = 0;
    }
    group.push(prefix);
    size += prefix.length;
  }
  if (group.length > 0) groups.push(group);
  return groups;
}

function byteLength(parts: readonly Uint8Array[]): number {
  let n = 0;
  for (const p of parts) n += p.length;
  return n;
}

/** The MP attributes' fixed start: AFI(2) SAFI(1). */
function afiSafi(writer: ByteWriter, family: Family): ByteWriter {
  return writer.u16(afiOf(family)).u8(SAFI_UNICAST);
}

/** UPDATEs announcing `prefixes` with `attributes`, packed; [] for no prefixes. */
export function encodeUpdates(
  ctx: SessionCodecContext,
  family: Family,
  attributes: OriginatedAttributes,
  prefixes: readonly Prefix[],
): Encoded<Uint8Array[]> {
  const shared = sharedAttributes(ctx, family, attributes);
  if (!shared.ok) return shared;
  const encoded = encodePrefixes(family, prefixes);
  if (!encoded.ok) return encoded;
  const sharedBytes = byteLength(shared.value);
  const max = maxUpdateLength(ctx);

  if (family === "ipv4-unicast") {
    const groups = pack(encoded.value, max - UPDATE_FIXED - sharedBytes);
    if (groups === undefined)
      return encodeError("attributesTooLarge", "the attributes leave no room for a prefix");
    return {
      ok: true,
      value: groups.map((group) => {
        const writer = messageWriter(MessageType.update, 4 + sharedBytes + byteLength(group));
        writer.u16(0).u16(sharedBytes);
        for (const a of shared.value) writer.raw(a);
        for (const p of group) writer.raw(p);
        return writer.bytes;
      }),
    };
  }

  const nextHops = attributes.nextHops.map(ipv6Bytes);
  if (nextHops.length < 1 || nextHops.length > 2 || nextHops.some((n) => n === undefined)) {
    return encodeError(
      "invalidNextHop",
      `IPv6 routes need a global and optionally a link-local IPv6 next hop`,
    );
  }
  const nextHopLength = 16 * nextHops.length;
  // AFI SAFI, next hop length, next hop, reserved.
  const mpFixed = 3 + 1 + nextHopLength + 1;
  const groups = pack(encoded.value, max - UPDATE_FIXED - sharedBytes - EXTENDED_ATTRIBUTE_HEADER - mpFixed);
  if (groups === undefined)
    return encodeError("attributesTooLarge", "the attributes leave no room for a prefix");
  return {
    ok: true,
    value: groups.map((group) => {
      const value = afiSafi(new ByteWriter(mpFixed + byteLength(group)), family).u8(nextHopLength);
      for (const n of nextHops) value.raw(n!);
      value.u8(0);
      for (const p of group) value.raw(p);
      const mpReach = attribute(OPTIONAL_NON_TRANSITIVE, AttributeType.mpReachNlri, value.bytes);
      const attributesLength = mpReach.length + sharedBytes;
      const writer = messageWriter(MessageType.update, 4 + attributesLength);
      writer.u16(0).u16(attributesLength).raw(mpReach);
      for (const a of shared.value) writer.raw(a);
      return writer.bytes;
    }),
  };
}

/** UPDATEs withdrawing `prefixes`, packed: IPv4 in the withdrawn routes field, IPv6 in MP_UNREACH_NLRI. */
export function encodeWithdrawals(
  ctx: SessionCodecContext,
  family: Family,
  prefixes: readonly Prefix[],
): Encoded<Uint8Array[]> {
  const encoded = encodePrefixes(family, prefixes);
  if (!encoded.ok) return encoded;
  const max = maxUpdateLength(ctx);
  if (family === "ipv4-unicast") {
    const groups = pack(encoded.value, max - UPDATE_FIXED)!;
    return {
      ok: true,
      value: groups.map((group) => {
        const withdrawnLength = byteLength(group);
        const writer = messageWriter(MessageType.update, 4 + withdrawnLength).u16(withdrawnLength);
        for (const p of group) writer.raw(p);
        return writer.u16(0).bytes;
      }),
    };
  }
  const groups = pack(encoded.value, max - UPDATE_FIXED - EXTENDED_ATTRIBUTE_HEADER - 3)!;
  return {
    ok: true,
    value: groups.map((group) => {
      const value = afiSafi(new ByteWriter(3 + byteLength(group)), family);
      for (const p of group) value.raw(p);
      const mpUnreach = attribute(OPTIONAL_NON_TRANSITIVE, AttributeType.mpUnreachNlri, value.bytes);
      return messageWriter(MessageType.update, 4 + mpUnreach.length)
        .u16(0)
        .u16(mpUnreach.length)
        .raw(mpUnreach).bytes;
    }),
  };
}

/**
 * The End-of-RIB marker (RFC 4724 §2): for IPv4 the empty UPDATE (23 bytes), for IPv6 an UPDATE with
 * only an empty MP_UNREACH_NLRI (29 bytes). Send it only for negotiated families.
 */
export function encodeEndOfRib(family: Family): Uint8Array {
  if (family === "ipv4-unicast") return messageWriter(MessageType.update, 4).u16(0).u16(0).bytes;
  const mpUnreach = attribute(
    OPTIONAL_NON_TRANSITIVE,
    AttributeType.mpUnreachNlri,
    afiSafi(new ByteWriter(3), family).bytes,
  );
  return messageWriter(MessageType.update, 4 + mpUnreach.length)
    .u16(0)
    .u16(mpUnreach.length)
    .raw(mpUnreach).bytes;
}
