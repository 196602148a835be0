/**
 * What a received OPEN means for one session (RFC 4271 §6.2, RFC 5492, RFC 6286, RFC 6793, RFC 7607):
 * either the parameters both sides agreed on, or the error whose NOTIFICATION rejects the peer.
 * Pure.
 */
import {
  AS_TRANS,
  type BgpError,
  type BgpErrorReason,
  type Family,
  type OpenMessage,
  type SessionCodecContext,
} from "./codec/types.ts";

/** Our side of the OPEN exchange. */
export interface LocalOpenPolicy {
  readonly myASN: number;
  /** Fixed peer ASN; undefined with dynamicASN. */
  readonly peerASN: number | undefined;
  readonly dynamicASN: "internal" | "external" | undefined;
  /** Seconds, 0 or >= 3. */
  readonly holdTimeS: number;
  /** Seconds; 0: a third of the negotiated hold time. */
  readonly keepaliveTimeS: number;
  /** The families we send capability 1 for. */
  readonly families: readonly Family[];
  /** We send capability 64 (graceful restart, RFC 4724). */
  readonly gracefulRestart?: boolean;
}

export interface Negotiated {
  /** The peer's real ASN (capability 65, else the OPEN's My AS). */
  readonly peerASN: number;
  readonly peerRouterID: string;
  /** min(ours, the peer's); 0: no hold timer and no keepalives. */
  readonly holdTimeS: number;
  /** 0 when holdTimeS is 0. */
  readonly keepaliveTimeS: number;
  readonly internal: boolean;
  readonly codec: SessionCodecContext;
  /** Both sides sent capability 2 (we always do). */
  readonly routeRefresh: boolean;
  /** Both sides sent capability 64: the peer keeps our routes across a quiet restart. */
  readonly gracefulRestart: boolean;
}

const SUBCODES: Partial<Record<BgpErrorReason, number>> = {
  unsupportedVersionNumber: 1,
  badPeerAS: 2,
  badBgpIdentifier: 3,
  unacceptableHoldTime: 6,
};

function openError(reason: BgpErrorReason, detail: string, data = new Uint8Array(0)): BgpError {
  return { reason, code: 2, subcode: SUBCODES[reason] ?? 0, data, detail };
}

function ipv4Number(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

/** The peer's ASN as the OPEN gives it, or an error (RFC 6793 §4.1; ASN 0 is invalid, RFC 7607). */
function peerASNOf(open: OpenMessage): number | BgpError {
  const fourOctet = open.capabilities.fourOctetASN;
  if (fourOctet === undefined) {
    if (open.myAS === 0) return openError("badPeerAS", "peer AS 0");
    return open.myAS;
  }
  if (fourOctet === 0) return openError("badPeerAS", "peer AS 0 in capability 65");
  const expectedTwoOctet = fourOctet > 0xffff ? AS_TRANS : fourOctet;
  if (open.myAS !== expectedTwoOctet && open.myAS !== AS_TRANS) {
    return openError("badPeerAS", `My AS ${open.myAS} disagrees with capability 65 (${fourOctet})`);
  }
  return fourOctet;
}

function checkPeerAS(policy: LocalOpenPolicy, peerASN: number): BgpError | undefined {
  if (policy.peerASN !== undefined) {
    return peerASN === policy.peerASN
      ? undefined
      : openError("badPeerAS", `peer AS ${peerASN}, configured ${policy.peerASN}`);
  }
  if (policy.dynamicASN === "internal" && peerASN !== policy.myASN) {
    return openError("badPeerAS", `peer AS ${peerASN} is not internal (${policy.myASN})`);
  }
  if (policy.dynamicASN === "external" && peerASN === policy.myASN) {
    return openError("badPeerAS", `peer AS ${peerASN} is not external`);
  }
  return undefined;
}

/**
 * Families both sides sent capability 1 for; a peer without any capability 1 speaks IPv4 unicast
 * only (RFC 4760 §8).
 */
export function commonFamilies(ours: readonly Family[], open: OpenMessage): Family[] {
  const sentMultiprotocol =
    open.capabilities.families.length > 0 || open.capabilities.unknown.some((c) => c.code === 1);
  const theirs: readonly Family[] = sentMultiprotocol ? open.capabilities.families : ["ipv4-unicast"];
  return ours.filter((family) => theirs.includes(family));
}

/** Keepalive interval: the configured one when shorter than a third of the hold time (RFC 4271 §10). */
export function keepaliveFor(holdTimeS: number, configuredS: number): number {
  if (holdTimeS === 0) return 0;
  const third = Math.max(1, Math.floor(holdTimeS / 3));
  return configuredS > 0 ? Math.max(1, Math.min(configuredS, third)) : third;
}

/** The peer's OPEN against our policy; ourRouterID is the BGP Identifier we sent. */
export function negotiate(
  policy: LocalOpenPolicy,
  ourRouterID: string,
  open: OpenMessage,
): { readonly ok: true; readonly value: Negotiated } | { readonly ok: false; readonly error: BgpError } {
  if (open.version !== 4) {
    return {
      ok: false,
      error: openError("unsupportedVersionNumber", `version ${open.version}`, Uint8Array.of(0, 4)),
    };
  }
  const peerASN = peerASNOf(open);
  if (typeof peerASN !== "number") return { ok: false, error: peerASN };
  const asError = checkPeerAS(policy, peerASN);
  if (asError) return { ok: false, error: asError };
  const internal = peerASN === policy.myASN;
  const id = ipv4Number(open.bgpIdentifier);
  if (id === undefined || id === 0) {
    return { ok: false, error: openError("badBgpIdentifier", `BGP identifier ${open.bgpIdentifier}`) };
  }
  // RFC 6286 §2.2: equal identifiers are an error only within one AS.
  if (internal && id === ipv4Number(ourRouterID)) {
    return {
      ok: false,
      error: openError("badBgpIdentifier", `BGP identifier ${open.bgpIdentifier} is ours`),
    };
  }
  if (open.holdTimeS === 1 || open.holdTimeS === 2) {
    return { ok: false, error: openError("unacceptableHoldTime", `hold time ${open.holdTimeS}`) };
  }
  const holdTimeS = Math.min(policy.holdTimeS, open.holdTimeS);
  return {
    ok: true,
    value: {
      peerASN,
      peerRouterID: open.bgpIdentifier,
      holdTimeS,
      keepaliveTimeS: keepaliveFor(holdTimeS, policy.keepaliveTimeS),
      internal,
      codec: {
        fourOctetASN: open.capabilities.fourOctetASN !== undefined,
        extendedMessage: false,
        families: commonFamilies(policy.families, open),
      },
      routeRefresh: open.capabilities.routeRefresh,
      gracefulRestart: policy.gracefulRestart === true && open.capabilities.gracefulRestart !== undefined,
    },
  };
}
