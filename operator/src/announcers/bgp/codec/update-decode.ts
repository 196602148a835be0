/**
 * Decodes a received UPDATE (RFC 4271 §4.3) with RFC 7606 error handling. The session only
 * accepts and counts what peers send, so the aim is to never reset a session that RFC 7606 keeps:
 *
 * - Session reset (the result is an error): withdrawn length + attribute length not fitting the
 *   body (3/1); an unparsable prefix in the withdrawn or NLRI field (3/10); MP_REACH_NLRI or
 *   MP_UNREACH_NLRI duplicated (3/1, §3.g), with wrong flags (3/4), cut short or with a next hop
 *   length the family does not have (3/9, RFC 4760 §7), or with an unparsable prefix (3/10).
 * - Treat-as-withdraw (`treatAsWithdraw` holds the first such error): an attribute list ending mid
 *   attribute or overrunning (3/1, §4); wrong flags on a known attribute (3/4); ORIGIN of length
 *   other than 1 (3/5) or value above 2 (3/6); malformed AS_PATH (3/11); NEXT_HOP, MED or iBGP
 *   LOCAL_PREF of length other than 4 (3/5); COMMUNITIES not a non-zero multiple of 4 and
 *   LARGE_COMMUNITY not of 12 (3/5); an unrecognized well-known attribute (3/2); ORIGIN, AS_PATH or
 *   (with IPv4 NLRI) NEXT_HOP missing from an UPDATE that carries routes (3/3, data = the type).
 * - Attribute discard: LOCAL_PREF from an eBGP peer (§7.5), ATOMIC_AGGREGATE of non-zero length,
 *   AGGREGATOR of the wrong length (§7.6-7.7), AS4_AGGREGATOR, AS4_PATH from a 4-octet session or
 *   malformed (RFC 6793 §6), repeats of any other attribute (§3.g). A valid AS4_PATH on a 2-octet
 *   session is merged into the AS_PATH returned (RFC 6793 §4.2.3).
 * Data fields follow RFC 4271 §6.3: the whole offending attribute where it names one.
 */
import { formatIPv4, formatIPv6 } from "./addresses.ts";
import { decodeAsPath } from "./as-path.ts";
import { AttributeFlag, AttributeType, CATEGORY_MASK, EXPECTED_FLAGS, ORIGINS } from "./attributes.ts";
import { u16, u32 } from "./bytes.ts";
import { bgpError } from "./errors.ts";
import { familyOf } from "./family.ts";
import { decodePrefixes } from "./prefix.ts";
import type {
  BgpError,
  Decoded,
  Family,
  LargeCommunity,
  Origin,
  Prefix,
  SessionCodecContext,
  StandardCommunity,
  UpdateMessage,
} from "./types.ts";
import { HEADER_LENGTH } from "./types.ts";

interface MpReach {
  readonly family: Family;
  readonly nextHops: readonly string[];
  readonly nlri: readonly Prefix[];
}

interface MpUnreach {
  readonly family: Family;
  readonly withdrawn: readonly Prefix[];
}

/** The attributes read so far; `reset` set means the whole UPDATE is a session-reset error. */
interface AttributeState {
  origin: Origin | undefined;
  asPath: number[] | undefined;
  /** A valid AS4_PATH from a 2-octet session, merged into asPath at the end (RFC 6793 §4.2.3). */
  as4Path: number[] | undefined;
  nextHop: string | undefined;
  localPref: number | undefined;
  communities: StandardCommunity[];
  largeCommunities: LargeCommunity[];
  mpReach: MpReach | undefined;
  mpUnreach: MpUnreach | undefined;
  treatAsWithdraw: BgpError | undefined;
  reset: BgpError | undefined;
  count: number;
}

/** Decodes a whole UPDATE message (header already checked). Never throws. */
export function decodeUpdate(message: Uint8Array, ctx: SessionCodecContext): Decoded<UpdateMessage> {
  const body = message.subarray(HEADER_LENGTH);
  const end = body.length;
  if (end < 4) return fail(bgpError("malformedAttributeList", "UPDATE body shorter than 4 bytes"));
  const withdrawnLength = u16(body, 0);
  if (2 + withdrawnLength + 2 > end) {
    return fail(
      bgpError("malformedAttributeList", `withdrawn routes length ${withdrawnLength} overruns the UPDATE`),
    );
  }
  const attributesStart = 4 + withdrawnLength;
  const attributesLength = u16(body, 2 + withdrawnLength);
  const attributesEnd = attributesStart + attributesLength;
  if (attributesEnd > end) {
    return fail(
      bgpError("malformedAttributeList", `path attribute length ${attributesLength} overruns the UPDATE`),
    );
  }
  const withdrawn: Prefix[] = [];
  const withdrawnError = decodePrefixes(body, 2, 2 + withdrawnLength, "ipv4", withdrawn);
  if (withdrawnError !== undefined) return fail(withdrawnError);
  const nlri: Prefix[] = [];
  const nlriError = decodePrefixes(body, attributesEnd, end, "ipv4", nlri);
  if (nlriError !== undefined) return fail(nlriError);

  const state: AttributeState = {
    origin: undefined,
    asPath: undefined,
    as4Path: undefined,
    nextHop: undefined,
    localPref: undefined,
    communities: [],
    largeCommunities: [],
    mpReach: undefined,
    mpUnreach: undefined,
    treatAsWithdraw: undefined,
    reset: undefined,
    count: 0,
  };
  readAttributes(body, attributesStart, attributesEnd, ctx, state);
  if (state.reset !== undefined) return fail(state.reset);
  mergeAs4Path(state);
  checkMandatory(state, nlri.length > 0);

  const endOfRib = endOfRibOf(withdrawn, nlri, attributesLength, state);
  return {
    ok: true,
    value: {
      type: "update",
      withdrawn,
      nlri,
      mpReach: state.mpReach,
      mpUnreach: state.mpUnreach,
      origin: state.origin,
      asPath: state.asPath,
      nextHop: state.nextHop,
      localPref: state.localPref,
      communities: state.communities,
      largeCommunities: state.largeCommunities,
      treatAsWithdraw: state.treatAsWithdraw,
      endOfRib,
    },
  };
}

function readAttributes(
  body: Uint8Array,
  start: number,
  end: number,
  ctx: SessionCodecContext,
  state: AttributeState,
): undefined {
  const seen = new Uint8Array(256);
  let at = start;
  while (at < end && state.reset === undefined) {
    // RFC 7606 §4: a header cut short or a length overrunning the list is treat-as-withdraw;
    // the total attribute length still locates the NLRI.
    if (end - at < 3)
      return withdraw(state, bgpError("malformedAttributeList", "path attribute header cut short"));
    const flags = body[at]!;
    const type = body[at + 1]!;
    const headerLength = flags & AttributeFlag.extendedLength ? 4 : 3;
    if (end - at < headerLength) {
      return withdraw(state, bgpError("malformedAttributeList", "path attribute header cut short"));
    }
    const length = headerLength === 4 ? u16(body, at + 2) : body[at + 2]!;
    const valueStart = at + headerLength;
    if (valueStart + length > end) {
      return withdraw(
        state,
        bgpError("malformedAttributeList", `attribute ${type} length ${length} overruns the list`),
      );
    }
    const attribute = body.subarray(at, valueStart + length);
    const value = body.subarray(valueStart, valueStart + length);
    at = valueStart + length;
    state.count++;
    if (seen[type]) {
      // RFC 7606 §3.g: repeated MP attributes reset the session, other repeats are dropped.
      if (type === AttributeType.mpReachNlri || type === AttributeType.mpUnreachNlri) {
        state.reset = bgpError("malformedAttributeList", `attribute ${type} appears twice`);
      }
      continue;
    }
    seen[type] = 1;
    readAttribute(type, flags, value, attribute, ctx, state);
  }
}

function readAttribute(
  type: number,
  flags: number,
  value: Uint8Array,
  attribute: Uint8Array,
  ctx: SessionCodecContext,
  state: AttributeState,
): undefined {
  const expected = EXPECTED_FLAGS.get(type);
  if (expected === undefined) {
    // An unknown optional attribute is ignored; an unknown well-known one cannot exist (RFC 4271 §6.3).
    if ((flags & AttributeFlag.optional) === 0) {
      withdraw(
        state,
        bgpError("unrecognizedWellKnownAttribute", `unknown well-known attribute ${type}`, attribute.slice()),
      );
    }
    return;
  }
  if ((flags & CATEGORY_MASK) !== expected) {
    const error = bgpError(
      "attributeFlagsError",
      `attribute ${type} with flags 0x${flags.toString(16)}`,
      attribute.slice(),
    );
    if (type === AttributeType.mpReachNlri || type === AttributeType.mpUnreachNlri) state.reset = error;
    else if (type !== AttributeType.as4Path && type !== AttributeType.as4Aggregator) withdraw(state, error);
    return;
  }
  switch (type) {
    case AttributeType.origin:
      if (value.length !== 1) return lengthError(state, type, attribute);
      if (value[0]! > 2) {
        return withdraw(state, bgpError("invalidOriginAttribute", `ORIGIN ${value[0]}`, attribute.slice()));
      }
      state.origin = ORIGINS[value[0]!];
      return;
    case AttributeType.asPath: {
      const asPath = decodeAsPath(value, ctx.fourOctetASN ? 4 : 2);
      if (asPath === undefined) return withdraw(state, bgpError("malformedAsPath", "malformed AS_PATH"));
      state.asPath = asPath;
      return;
    }
    case AttributeType.nextHop:
      if (value.length !== 4) return lengthError(state, type, attribute);
      state.nextHop = formatIPv4(u32(value, 0));
      return;
    case AttributeType.multiExitDisc:
      if (value.length !== 4) lengthError(state, type, attribute);
      return;
    case AttributeType.localPref:
      if (ctx.internal === false) return; // RFC 7606 §7.5: from an eBGP peer, discarded
      if (value.length !== 4) return lengthError(state, type, attribute);
      state.localPref = u32(value, 0);
      return;
    case AttributeType.communities:
      if (value.length === 0 || value.length % 4 !== 0) return lengthError(state, type, attribute);
      for (let p = 0; p < value.length; p += 4) state.communities.push(u32(value, p));
      return;
    case AttributeType.largeCommunity:
      if (value.length === 0 || value.length % 12 !== 0) return lengthError(state, type, attribute);
      for (let p = 0; p < value.length; p += 12) {
        state.largeCommunities.push({
          global: u32(value, p),
          local1: u32(value, p + 4),
          local2: u32(value, p + 8),
        });
      }
      return;
    case AttributeType.as4Path:
      // RFC 6793 §6: ignored from a 4-octet speaker, discarded when malformed.
      if (!ctx.fourOctetASN) state.as4Path = decodeAsPath(value, 4);
      return;
    case AttributeType.mpReachNlri:
      return readMpReach(value, attribute, state);
    case AttributeType.mpUnreachNlri:
      return readMpUnreach(value, attribute, state);
    default:
      // ATOMIC_AGGREGATE, AGGREGATOR, AS4_AGGREGATOR: needed nowhere, and each one's malformation
      // is attribute-discard (RFC 7606 §7.6-7.7, RFC 6793 §6).
      return;
  }
}

/** RFC 4760 §3: AFI(2) SAFI(1) next hop length(1) next hop, reserved(1), NLRI. */
function readMpReach(value: Uint8Array, attribute: Uint8Array, state: AttributeState): undefined {
  if (value.length < 5) {
    state.reset = bgpError("optionalAttributeError", "MP_REACH_NLRI cut short", attribute.slice());
    return;
  }
  const family = familyOf(u16(value, 0), value[2]!);
  const nextHopLength = value[3]!;
  const nlriStart = 4 + nextHopLength + 1;
  if (nlriStart > value.length) {
    state.reset = bgpError(
      "optionalAttributeError",
      "MP_REACH_NLRI next hop runs past the attribute",
      attribute.slice(),
    );
    return;
  }
  if (family === undefined) return; // a family we never negotiate: not ours to parse
  const nextHops = decodeNextHops(value, 4, nextHopLength, family);
  if (nextHops === undefined) {
    state.reset = bgpError(
      "optionalAttributeError",
      `MP_REACH_NLRI next hop length ${nextHopLength} for ${family}`,
      attribute.slice(),
    );
    return;
  }
  const nlri: Prefix[] = [];
  const error = decodePrefixes(
    value,
    nlriStart,
    value.length,
    family === "ipv4-unicast" ? "ipv4" : "ipv6",
    nlri,
  );
  if (error !== undefined) {
    state.reset = error;
    return;
  }
  state.mpReach = { family, nextHops, nlri };
}

/** IPv6: global, or global and link-local (RFC 2545 §3). IPv4: 4 bytes, or IPv6 ones (RFC 8950). */
function decodeNextHops(value: Uint8Array, at: number, length: number, family: Family): string[] | undefined {
  if (family === "ipv4-unicast" && length === 4) return [formatIPv4(u32(value, at))];
  if (length === 16) return [formatIPv6(value, at)];
  if (length === 32) return [formatIPv6(value, at), formatIPv6(value, at + 16)];
  return undefined;
}

/** RFC 4760 §4: AFI(2) SAFI(1) withdrawn routes. */
function readMpUnreach(value: Uint8Array, attribute: Uint8Array, state: AttributeState): undefined {
  if (value.length < 3) {
    state.reset = bgpError("optionalAttributeError", "MP_UNREACH_NLRI cut short", attribute.slice());
    return;
  }
  const family = familyOf(u16(value, 0), value[2]!);
  if (family === undefined) return;
  const withdrawn: Prefix[] = [];
  const error = decodePrefixes(
    value,
    3,
    value.length,
    family === "ipv4-unicast" ? "ipv4" : "ipv6",
    withdrawn,
  );
  if (error !== undefined) {
    state.reset = error;
    return;
  }
  state.mpUnreach = { family, withdrawn };
}

/**
 * RFC 6793 §4.2.3: the real path is AS_PATH's leading ASNs followed by AS4_PATH, when AS4_PATH is
 * not the longer one (then it is ignored). Counted per ASN: the paths are flattened.
 */
function mergeAs4Path(state: AttributeState): undefined {
  const { asPath, as4Path } = state;
  if (asPath === undefined || as4Path === undefined || as4Path.length > asPath.length) return;
  state.asPath = [...asPath.slice(0, asPath.length - as4Path.length), ...as4Path];
}

/** RFC 7606 §3.d: ORIGIN and AS_PATH, and NEXT_HOP for IPv4 NLRI, when the UPDATE carries routes. */
function checkMandatory(state: AttributeState, hasIPv4Nlri: boolean): undefined {
  const hasRoutes = hasIPv4Nlri || (state.mpReach !== undefined && state.mpReach.nlri.length > 0);
  if (!hasRoutes) return;
  if (state.origin === undefined) missing(state, AttributeType.origin);
  if (state.asPath === undefined) missing(state, AttributeType.asPath);
  if (hasIPv4Nlri && state.nextHop === undefined) missing(state, AttributeType.nextHop);
}

function missing(state: AttributeState, type: number): undefined {
  withdraw(state, bgpError("missingWellKnownAttribute", `missing attribute ${type}`, Uint8Array.of(type)));
}

/** RFC 4724 §2: IPv4 = an empty UPDATE; other families = an UPDATE holding only an empty MP_UNREACH_NLRI. */
function endOfRibOf(
  withdrawn: readonly Prefix[],
  nlri: readonly Prefix[],
  attributesLength: number,
  state: AttributeState,
): Family | undefined {
  if (withdrawn.length > 0 || nlri.length > 0) return undefined;
  if (attributesLength === 0) return "ipv4-unicast";
  if (state.count === 1 && state.mpUnreach !== undefined && state.mpUnreach.withdrawn.length === 0) {
    return state.mpUnreach.family;
  }
  return undefined;
}

function lengthError(state: AttributeState, type: number, attribute: Uint8Array): undefined {
  withdraw(
    state,
    bgpError("attributeLengthError", `attribute ${type} of length ${attribute.length}`, attribute.slice()),
  );
}

/** Keeps the first treat-as-withdraw reason: the one a log line should show. */
function withdraw(state: AttributeState, error: BgpError): undefined {
  state.treatAsWithdraw ??= error;
}

function fail(error: BgpError): { ok: false; error: BgpError } {
  return { ok: false, error };
}
