/**
 * Builds BgpError values: the reason names the NOTIFICATION code/subcode pair (RFC 4271 §6, RFC 7313
 * §5), so callers only pick a reason, say what was wrong, and attach the data the RFC prescribes.
 */
import type { BgpError, BgpErrorReason } from "./types.ts";

const CODES: Readonly<Record<BgpErrorReason, readonly [number, number]>> = {
  connectionNotSynchronized: [1, 1],
  badMessageLength: [1, 2],
  badMessageType: [1, 3],
  openMessageUnspecific: [2, 0],
  unsupportedVersionNumber: [2, 1],
  badPeerAS: [2, 2],
  badBgpIdentifier: [2, 3],
  unsupportedOptionalParameter: [2, 4],
  unacceptableHoldTime: [2, 6],
  unsupportedCapability: [2, 7],
  malformedAttributeList: [3, 1],
  unrecognizedWellKnownAttribute: [3, 2],
  missingWellKnownAttribute: [3, 3],
  attributeFlagsError: [3, 4],
  attributeLengthError: [3, 5],
  invalidOriginAttribute: [3, 6],
  invalidNextHopAttribute: [3, 8],
  optionalAttributeError: [3, 9],
  invalidNetworkField: [3, 10],
  malformedAsPath: [3, 11],
  routeRefreshInvalidLength: [7, 1],
};

const NO_DATA = new Uint8Array(0);

export function bgpError(reason: BgpErrorReason, detail: string, data: Uint8Array = NO_DATA): BgpError {
  const [code, subcode] = CODES[reason];
  return { reason, code, subcode, data, detail };
}

/** The NOTIFICATION code/subcode pair a reason stands for. */
export function codesOf(reason: BgpErrorReason): { readonly code: number; readonly subcode: number } {
  const [code, subcode] = CODES[reason];
  return { code, subcode };
}
