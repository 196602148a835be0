/**
 * Capabilities Optional Parameter values (RFC 5492): encoding ours, decoding the peer's. Known
 * codes are decoded into Capabilities, every other code is kept as {code, value}.
 * A known capability with a value of the wrong length, or a TLV running past its parameter, is
 * answered with 2/0 (RFC 4271 §6.2: a recognized but malformed optional parameter is "Unspecific").
 */
import { u16, u32 } from "./bytes.ts";
import { bgpError } from "./errors.ts";
import { afiOf, familyOf } from "./family.ts";
import type { BgpError, Capabilities, Family, GracefulRestartCapability } from "./types.ts";
import { SAFI_UNICAST } from "./types.ts";

/** IANA capability codes. */
export const CapabilityCode = {
  multiprotocol: 1,
  routeRefresh: 2,
  extendedMessage: 6,
  gracefulRestart: 64,
  fourOctetASN: 65,
  enhancedRouteRefresh: 70,
  /** The pre-standard route refresh code some routers still send (FRR does). */
  routeRefreshPrestandard: 128,
} as const;

/** Capabilities with nothing in them: spread it and set what you send. */
export const NO_CAPABILITIES: Capabilities = {
  families: [],
  fourOctetASN: undefined,
  routeRefresh: false,
  enhancedRouteRefresh: false,
  extendedMessage: false,
  gracefulRestart: undefined,
  unknown: [],
};

const GR_RESTARTING = 0x8000;
const GR_NOTIFICATION = 0x4000;
const GR_TIME_MASK = 0x0fff;
const GR_FORWARDING = 0x80;

/** The capability TLVs (code, length, value) in the order real routers send them. */
export function encodeCapabilities(capabilities: Capabilities): Uint8Array[] {
  const tlvs: Uint8Array[] = [];
  for (const family of capabilities.families) {
    const afi = afiOf(family);
    tlvs.push(Uint8Array.of(CapabilityCode.multiprotocol, 4, afi >> 8, afi & 0xff, 0, SAFI_UNICAST));
  }
  if (capabilities.routeRefresh) tlvs.push(Uint8Array.of(CapabilityCode.routeRefresh, 0));
  if (capabilities.enhancedRouteRefresh) tlvs.push(Uint8Array.of(CapabilityCode.enhancedRouteRefresh, 0));
  if (capabilities.fourOctetASN !== undefined) {
    const asn = capabilities.fourOctetASN >>> 0;
    tlvs.push(
      Uint8Array.of(
        CapabilityCode.fourOctetASN,
        4,
        asn >>> 24,
        (asn >> 16) & 255,
        (asn >> 8) & 255,
        asn & 255,
      ),
    );
  }
  if (capabilities.extendedMessage) tlvs.push(Uint8Array.of(CapabilityCode.extendedMessage, 0));
  if (capabilities.gracefulRestart !== undefined)
    tlvs.push(encodeGracefulRestart(capabilities.gracefulRestart));
  for (const { code, value } of capabilities.unknown) {
    // A capability length is one byte (RFC 5492 §4): longer values cannot be sent.
    if (value.length > 255) continue;
    const tlv = new Uint8Array(2 + value.length);
    tlv[0] = code;
    tlv[1] = value.length;
    tlv.set(value, 2);
    tlvs.push(tlv);
  }
  return tlvs;
}

function encodeGracefulRestart(gr: GracefulRestartCapability): Uint8Array {
  const tlv = new Uint8Array(4 + 4 * gr.families.length);
  const flags =
    (gr.restarting ? GR_RESTARTING : 0) |
    (gr.notification ? GR_NOTIFICATION : 0) |
    (Math.min(Math.max(0, Math.trunc(gr.restartTimeS)), GR_TIME_MASK) & GR_TIME_MASK);
  tlv[0] = CapabilityCode.gracefulRestart;
  tlv[1] = tlv.length - 2;
  tlv[2] = flags >> 8;
  tlv[3] = flags & 0xff;
  gr.families.forEach(({ family, forwardingPreserved }, i) => {
    const at = 4 + 4 * i;
    const afi = afiOf(family);
    tlv[at] = afi >> 8;
    tlv[at + 1] = afi & 0xff;
    tlv[at + 2] = SAFI_UNICAST;
    tlv[at + 3] = forwardingPreserved ? GR_FORWARDING : 0;
  });
  return tlv;
}

/** What the peer's OPEN said so far; filled parameter by parameter. */
export interface CapabilitiesBuilder {
  families: Family[];
  fourOctetASN: number | undefined;
  routeRefresh: boolean;
  enhancedRouteRefresh: boolean;
  extendedMessage: boolean;
  gracefulRestart: GracefulRestartCapability | undefined;
  unknown: { readonly code: number; readonly value: Uint8Array }[];
}

export function capabilitiesBuilder(): CapabilitiesBuilder {
  return { ...NO_CAPABILITIES, families: [], unknown: [] };
}

/** Decodes one Capabilities parameter's value (a run of TLVs) into `into`. */
export function decodeCapabilities(value: Uint8Array, into: CapabilitiesBuilder): BgpError | undefined {
  let at = 0;
  while (at < value.length) {
    if (at + 2 > value.length) return malformed("a capability header runs past its parameter");
    const code = value[at]!;
    const length = value[at + 1]!;
    if (at + 2 + length > value.length) return malformed(`capability ${code} runs past its parameter`);
    const error = decodeCapability(code, value.subarray(at + 2, at + 2 + length), into);
    if (error !== undefined) return error;
    at += 2 + length;
  }
  return undefined;
}

function decodeCapability(code: number, value: Uint8Array, into: CapabilitiesBuilder): BgpError | undefined {
  switch (code) {
    case CapabilityCode.multiprotocol: {
      if (value.length !== 4) return malformed(`multiprotocol capability of length ${value.length}`);
      const family = familyOf(u16(value, 0), value[3]!);
      if (family === undefined) into.unknown.push({ code, value: value.slice() });
      else if (!into.families.includes(family)) into.families.push(family);
      return undefined;
    }
    case CapabilityCode.routeRefresh:
    case CapabilityCode.routeRefreshPrestandard:
      if (value.length !== 0) return malformed(`route refresh capability of length ${value.length}`);
      into.routeRefresh = true;
      return undefined;
    case CapabilityCode.enhancedRouteRefresh:
      if (value.length !== 0) return malformed(`enhanced route refresh capability of length ${value.length}`);
      into.enhancedRouteRefresh = true;
      return undefined;
    case CapabilityCode.extendedMessage:
      if (value.length !== 0) return malformed(`extended message capability of length ${value.length}`);
      into.extendedMessage = true;
      return undefined;
    case CapabilityCode.fourOctetASN: {
      if (value.length !== 4) return malformed(`4-octet AS capability of length ${value.length}`);
      const asn = u32(value, 0);
      // RFC 7607 §2: AS 0 in an OPEN is a Bad Peer AS.
      if (asn === 0) return bgpError("badPeerAS", "4-octet AS capability carries AS 0");
      into.fourOctetASN = asn;
      return undefined;
    }
    case CapabilityCode.gracefulRestart:
      return decodeGracefulRestart(value, into);
    default:
      into.unknown.push({ code, value: value.slice() });
      return undefined;
  }
}

/** RFC 4724 §3: flags and restart time, then AFI(2) SAFI(1) flags(1) per family. */
function decodeGracefulRestart(value: Uint8Array, into: CapabilitiesBuilder): BgpError | undefined {
  if (value.length < 2 || (value.length - 2) % 4 !== 0) {
    return malformed(`graceful restart capability of length ${value.length}`);
  }
  const flags = u16(value, 0);
  const families: { family: Family; forwardingPreserved: boolean }[] = [];
  for (let at = 2; at < value.length; at += 4) {
    const family = familyOf(u16(value, at), value[at + 2]!);
    if (family !== undefined)
      families.push({ family, forwardingPreserved: (value[at + 3]! & GR_FORWARDING) !== 0 });
  }
  into.gracefulRestart = {
    restarting: (flags & GR_RESTARTING) !== 0,
    notification: (flags & GR_NOTIFICATION) !== 0,
    restartTimeS: flags & GR_TIME_MASK,
    families,
  };
  return undefined;
}

function malformed(detail: string): BgpError {
  return bgpError("openMessageUnspecific", detail);
}
