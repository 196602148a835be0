/**
 * The BFD Control packet (RFC 5880 §4.1), without authentication: 24 bytes, big-endian.
 *
 *   byte 0   Vers (3 bits, 1) | Diag (5 bits)
 *   byte 1   Sta (2 bits) | P F C A D M
 *   byte 2   Detect Mult
 *   byte 3   Length
 *   4..7     My Discriminator
 *   8..11    Your Discriminator
 *   12..15   Desired Min TX Interval (µs)
 *   16..19   Required Min RX Interval (µs)
 *   20..23   Required Min Echo RX Interval (µs)
 *
 * decodePacket applies the reception checks of RFC 5880 §6.8.6 that need only the packet; the
 * session lookup (Your Discriminator, or the addresses while it is 0) is the caller's.
 */

export type BfdState = "AdminDown" | "Down" | "Init" | "Up";

const STATES: readonly BfdState[] = ["AdminDown", "Down", "Init", "Up"];

/** RFC 5880 §4.1 diagnostic codes, by name. */
export const DIAG = {
  none: 0,
  controlDetectionTimeExpired: 1,
  echoFunctionFailed: 2,
  neighborSignaledSessionDown: 3,
  forwardingPlaneReset: 4,
  pathDown: 5,
  concatenatedPathDown: 6,
  administrativelyDown: 7,
  reverseConcatenatedPathDown: 8,
} as const;

export type BfdDiagName = keyof typeof DIAG;

const DIAG_NAMES = Object.fromEntries(Object.entries(DIAG).map(([name, code]) => [code, name])) as Record<
  number,
  BfdDiagName
>;

/** The diagnostic's name, or `diag<code>` for a code RFC 5880 does not define. */
export function diagName(code: number): string {
  return DIAG_NAMES[code] ?? `diag${code}`;
}

export interface ControlPacket {
  readonly diag: number;
  readonly state: BfdState;
  readonly poll: boolean;
  readonly final: boolean;
  /** C: the sender's BFD does not share fate with its control plane. */
  readonly controlPlaneIndependent: boolean;
  readonly demand: boolean;
  readonly detectMult: number;
  readonly myDiscriminator: number;
  readonly yourDiscriminator: number;
  readonly desiredMinTxUs: number;
  readonly requiredMinRxUs: number;
  readonly requiredMinEchoRxUs: number;
}

export const CONTROL_PACKET_BYTES = 24;
const VERSION = 1;

export function encodePacket(p: ControlPacket): Uint8Array {
  const bytes = new Uint8Array(CONTROL_PACKET_BYTES);
  const view = new DataView(bytes.buffer);
  bytes[0] = (VERSION << 5) | (p.diag & 0x1f);
  bytes[1] =
    (STATES.indexOf(p.state) << 6) |
    (p.poll ? 0x20 : 0) |
    (p.final ? 0x10 : 0) |
    (p.controlPlaneIndependent ? 0x08 : 0) |
    (p.demand ? 0x02 : 0);
  bytes[2] = p.detectMult;
  bytes[3] = CONTROL_PACKET_BYTES;
  view.setUint32(4, p.myDiscriminator >>> 0);
  view.setUint32(8, p.yourDiscriminator >>> 0);
  view.setUint32(12, p.desiredMinTxUs >>> 0);
  view.setUint32(16, p.requiredMinRxUs >>> 0);
  view.setUint32(20, p.requiredMinEchoRxUs >>> 0);
  return bytes;
}

/** Why a received packet is discarded (RFC 5880 §6.8.6); discarding is silent on the wire. */
export type BfdDiscardReason =
  | "tooShort"
  | "badVersion"
  | "badLength"
  | "zeroDetectMult"
  | "multipointSet"
  | "zeroMyDiscriminator"
  | "authenticationNotSupported";

export interface BfdDiscard {
  readonly discard: BfdDiscardReason;
  readonly detail: string;
}

export type DecodeResult =
  | { readonly ok: true; readonly packet: ControlPacket }
  | ({ readonly ok: false } & BfdDiscard);

function discard(reason: BfdDiscardReason, detail: string): DecodeResult {
  return { ok: false, discard: reason, detail };
}

export function decodePacket(bytes: Uint8Array): DecodeResult {
  if (bytes.length < CONTROL_PACKET_BYTES) return discard("tooShort", `${bytes.length} bytes`);
  const version = bytes[0]! >>> 5;
  if (version !== VERSION) return discard("badVersion", `version ${version}`);
  const flags = bytes[1]!;
  const authenticated = (flags & 0x04) !== 0;
  const length = bytes[3]!;
  // The A bit needs at least the 24 bytes plus an authentication section; either way Length
  // must fit in what arrived.
  if (length < (authenticated ? 26 : CONTROL_PACKET_BYTES) || length > bytes.length) {
    return discard("badLength", `Length ${length} with ${bytes.length} bytes received`);
  }
  if (bytes[2] === 0) return discard("zeroDetectMult", "Detect Mult 0");
  if ((flags & 0x01) !== 0) return discard("multipointSet", "M bit set");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const myDiscriminator = view.getUint32(4);
  if (myDiscriminator === 0) return discard("zeroMyDiscriminator", "My Discriminator 0");
  // No authentication is configured here, so an authenticated packet is discarded (§6.8.6).
  if (authenticated) return discard("authenticationNotSupported", "A bit set, no authentication configured");
  return {
    ok: true,
    packet: {
      diag: bytes[0]! & 0x1f,
      state: STATES[flags >>> 6]!,
      poll: (flags & 0x20) !== 0,
      final: (flags & 0x10) !== 0,
      controlPlaneIndependent: (flags & 0x08) !== 0,
      demand: (flags & 0x02) !== 0,
      detectMult: bytes[2]!,
      myDiscriminator,
      yourDiscriminator: view.getUint32(8),
      desiredMinTxUs: view.getUint32(12),
      requiredMinRxUs: view.getUint32(16),
      requiredMinEchoRxUs: view.getUint32(20),
    },
  };
}
