/**
 * OPEN (RFC 4271 §4.2) with the Capabilities parameter (RFC 5492) and the extended optional
 * parameters length of RFC 9072, which is accepted on decode and used on encode only when the
 * parameters exceed 255 bytes.
 *
 * Decode checks, in order: version (2/1, data = u16 4), My AS 0 (2/2, RFC 7607), hold time 1 or 2
 * (2/6), BGP Identifier 0 (2/3, RFC 6286), then the parameters: a type other than 2 is 2/4; a
 * length that disagrees with the message, a parameter or capability running past its container,
 * or a known capability of the wrong length is 2/0 (RFC 4271 §6.2 "Unspecific"); AS 0 in capability
 * 65 is 2/2. Peer policy (configured AS, iBGP identifier clash) is checkPeerOpen's.
 */
import { formatIPv4, ipv4Number } from "./addresses.ts";
import { u16, u32 } from "./bytes.ts";
import { capabilitiesBuilder, decodeCapabilities, encodeCapabilities } from "./capabilities.ts";
import { type Encoded, encodeError, isAsn } from "./encode-error.ts";
import { bgpError } from "./errors.ts";
import { MessageType, messageWriter } from "./header.ts";
import { AS_TRANS, type BgpError, type Decoded, HEADER_LENGTH, type OpenMessage } from "./types.ts";

export const BGP_VERSION = 4;
const OPTIONAL_PARAMETER_CAPABILITIES = 2;
/** RFC 9072 §2: a Non-Ext OP Type of 255 announces the extended (2-byte) lengths. */
const EXTENDED_PARAMETERS = 255;
const FIXED_BODY = 10;

/** What encodeOpen needs: an OPEN without its type and version. */
export type OpenParameters = Omit<OpenMessage, "type" | "version">;

/** The 2-octet My Autonomous System value for an ASN (RFC 6793 §4.1: AS_TRANS above 65535). */
export function twoOctetAS(asn: number): number {
  return asn > 0xffff ? AS_TRANS : asn;
}

export function encodeOpen(open: OpenParameters): Encoded<Uint8Array> {
  if (!Number.isInteger(open.myAS) || open.myAS < 1 || open.myAS > 0xffff) {
    return encodeError("invalidAsn", `My AS ${open.myAS} is not a 2-octet AS (use twoOctetAS)`);
  }
  const fourOctet = open.capabilities.fourOctetASN;
  if (fourOctet !== undefined && !isAsn(fourOctet)) {
    return encodeError("invalidAsn", `4-octet AS ${fourOctet} is out of range`);
  }
  const hold = open.holdTimeS;
  if (!Number.isInteger(hold) || hold < 0 || hold > 0xffff || hold === 1 || hold === 2) {
    return encodeError("invalidHoldTime", `hold time ${hold} s is not 0 or 3-65535`);
  }
  const identifier = ipv4Number(open.bgpIdentifier);
  if (identifier === undefined || identifier === 0) {
    return encodeError(
      "invalidBgpIdentifier",
      `BGP identifier ${open.bgpIdentifier} is not a non-zero IPv4 address`,
    );
  }
  const tlvs = encodeCapabilities(open.capabilities);
  const capabilitiesLength = tlvs.reduce((sum, tlv) => sum + tlv.length, 0);
  // One Capabilities parameter holding every capability, as FRR sends it; RFC 9072 when it is too long.
  const extended = capabilitiesLength + 2 > 255;
  const parametersLength = capabilitiesLength === 0 ? 0 : capabilitiesLength + (extended ? 3 : 2);
  const writer = messageWriter(MessageType.open, FIXED_BODY + (extended ? 3 : 0) + parametersLength);
  writer.u8(BGP_VERSION).u16(open.myAS).u16(hold).u32(identifier);
  if (extended) {
    writer.u8(EXTENDED_PARAMETERS).u8(EXTENDED_PARAMETERS).u16(parametersLength);
    writer.u8(OPTIONAL_PARAMETER_CAPABILITIES).u16(capabilitiesLength);
  } else {
    writer.u8(parametersLength);
    if (parametersLength > 0) writer.u8(OPTIONAL_PARAMETER_CAPABILITIES).u8(capabilitiesLength);
  }
  for (const tlv of tlvs) writer.raw(tlv);
  return { ok: true, value: writer.bytes };
}

/** Decodes a whole OPEN message (header included, already checked by the framer or decodeMessage). */
export function decodeOpen(message: Uint8Array): Decoded<OpenMessage> {
  const body = message.subarray(HEADER_LENGTH);
  if (body.length < FIXED_BODY) return fail(bgpError("badMessageLength", "OPEN shorter than 29 bytes"));
  const version = body[0]!;
  if (version !== BGP_VERSION) {
    return fail(bgpError("unsupportedVersionNumber", `version ${version}`, Uint8Array.of(0, BGP_VERSION)));
  }
  const myAS = u16(body, 1);
  if (myAS === 0) return fail(bgpError("badPeerAS", "My AS is 0"));
  const holdTimeS = u16(body, 3);
  if (holdTimeS === 1 || holdTimeS === 2)
    return fail(bgpError("unacceptableHoldTime", `hold time ${holdTimeS} s`));
  const identifier = u32(body, 5);
  if (identifier === 0) return fail(bgpError("badBgpIdentifier", "BGP identifier is 0"));
  const capabilities = capabilitiesBuilder();
  const error = decodeParameters(body, capabilities);
  if (error !== undefined) return fail(error);
  return {
    ok: true,
    value: { type: "open", version, myAS, holdTimeS, bgpIdentifier: formatIPv4(identifier), capabilities },
  };
}

function decodeParameters(
  body: Uint8Array,
  into: ReturnType<typeof capabilitiesBuilder>,
): BgpError | undefined {
  let length = body[9]!;
  let at = FIXED_BODY;
  let extended = false;
  if (length === EXTENDED_PARAMETERS && body[FIXED_BODY] === EXTENDED_PARAMETERS) {
    if (body.length < FIXED_BODY + 3) return malformed("extended optional parameters length is cut short");
    extended = true;
    length = u16(body, FIXED_BODY + 1);
    at = FIXED_BODY + 3;
  }
  if (at + length !== body.length) {
    return malformed(`optional parameters length ${length} disagrees with the message length`);
  }
  const headerLength = extended ? 3 : 2;
  while (at < body.length) {
    if (at + headerLength > body.length) return malformed("an optional parameter header is cut short");
    const type = body[at]!;
    const valueLength = extended ? u16(body, at + 1) : body[at + 1]!;
    const start = at + headerLength;
    if (start + valueLength > body.length)
      return malformed(`optional parameter ${type} runs past the message`);
    if (type !== OPTIONAL_PARAMETER_CAPABILITIES) {
      return bgpError("unsupportedOptionalParameter", `optional parameter type ${type}`);
    }
    const error = decodeCapabilities(body.subarray(start, start + valueLength), into);
    if (error !== undefined) return error;
    at = start + valueLength;
  }
  return undefined;
}

function malformed(detail: string): BgpError {
  return bgpError("openMessageUnspecific", detail);
}

function fail(error: BgpError): { ok: false; error: BgpError } {
  return { ok: false, error };
}

/** What the session expects of the peer's OPEN (RFC 4271 §6.2, RFC 6286, MetalLB dynamicASN). */
export interface PeerExpectation {
  /** Our own ASN. */
  readonly localASN: number;
  /** Our BGP identifier (dotted quad). */
  readonly localBgpIdentifier: string;
  /** The configured peer ASN; undefined when dynamicASN decides. */
  readonly peerASN: number | undefined;
  /** MetalLB's dynamicASN: "internal" needs the peer in our AS, "external" outside it. */
  readonly dynamicASN?: "internal" | "external" | undefined;
}

/** The peer's real ASN: capability 65 when sent, else the My AS field (RFC 6793 §4.1). */
export function peerASNOf(open: OpenMessage): number {
  return open.capabilities.fourOctetASN ?? open.myAS;
}

/**
 * The session's policy checks on a decoded OPEN: the AS it expects (2/2), and on iBGP an identifier
 * different from ours (RFC 6286 §2.2, 2/3). Undefined when the OPEN is acceptable.
 */
export function checkPeerOpen(open: OpenMessage, expectation: PeerExpectation): BgpError | undefined {
  const peerASN = peerASNOf(open);
  const caps65 = open.capabilities.fourOctetASN;
  // RFC 6793 §4.1: a 4-octet speaker whose ASN fits 2 octets puts it in My AS too.
  if (caps65 !== undefined && caps65 <= 0xffff && open.myAS !== caps65 && open.myAS !== AS_TRANS) {
    return bgpError("badPeerAS", `My AS ${open.myAS} disagrees with capability 65 AS ${caps65}`);
  }
  if (expectation.peerASN !== undefined && peerASN !== expectation.peerASN) {
    return bgpError("badPeerAS", `peer AS ${peerASN}, expected ${expectation.peerASN}`);
  }
  if (expectation.peerASN === undefined) {
    if (expectation.dynamicASN === "internal" && peerASN !== expectation.localASN) {
      return bgpError(
        "badPeerAS",
        `peer AS ${peerASN} is not our AS ${expectation.localASN} (dynamicASN internal)`,
      );
    }
    if (expectation.dynamicASN === "external" && peerASN === expectation.localASN) {
      return bgpError("badPeerAS", `peer AS ${peerASN} is our own AS (dynamicASN external)`);
    }
  }
  if (
    peerASN === expectation.localASN &&
    ipv4Number(expectation.localBgpIdentifier) === ipv4Number(open.bgpIdentifier)
  ) {
    return bgpError("badBgpIdentifier", `iBGP peer uses our BGP identifier ${open.bgpIdentifier}`);
  }
  return undefined;
}
