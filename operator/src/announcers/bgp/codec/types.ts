/**
 * The BGP-4 wire contract (RFC 4271, MP-BGP RFC 4760, 4-octet AS RFC 6793, route refresh RFC 2918
 * and RFC 7313, graceful restart RFC 4724, communities RFC 1997 and RFC 8092, error handling
 * RFC 7606): the messages as values, and every decode error as a value that already carries the
 * NOTIFICATION it calls for. Pure: the codec does no I/O and never throws on input bytes.
 */

/** The address families metalbun originates: unicast only (SAFI 1). */
export type Family = "ipv4-unicast" | "ipv6-unicast";

export const AFI_IPV4 = 1;
export const AFI_IPV6 = 2;
export const SAFI_UNICAST = 1;

/** RFC 4271 §4.1 header: 16-byte marker, 2-byte length, 1-byte type. */
export const HEADER_LENGTH = 19;
/** RFC 4271 §4: the largest message without the Extended Message capability (RFC 8654). */
export const MAX_MESSAGE_LENGTH = 4096;
export const AS_TRANS = 23456;

/** A prefix as canonical text of its network address (Go's net.IP.String()) and a bit length. */
export interface Prefix {
  readonly family: "ipv4" | "ipv6";
  readonly address: string;
  readonly length: number;
}

export interface GracefulRestartCapability {
  /** R bit: the sender restarted (RFC 4724 §3). */
  readonly restarting: boolean;
  /** N bit: the sender supports the Notification extension (RFC 8538). */
  readonly notification: boolean;
  /** Seconds, 0-4095. */
  readonly restartTimeS: number;
  readonly families: readonly { readonly family: Family; readonly forwardingPreserved: boolean }[];
}

export interface Capabilities {
  /** Multiprotocol (code 1) families this codec knows; others are in `unknown`. */
  readonly families: readonly Family[];
  /** Code 65: the sender's real ASN. */
  readonly fourOctetASN: number | undefined;
  /** Code 2 (or the pre-standard 128). */
  readonly routeRefresh: boolean;
  /** Code 70 (RFC 7313). */
  readonly enhancedRouteRefresh: boolean;
  /** Code 6 (RFC 8654). */
  readonly extendedMessage: boolean;
  /** Code 64. */
  readonly gracefulRestart: GracefulRestartCapability | undefined;
  /** Everything else, skipped by length; multiprotocol entries for unknown AFI/SAFI as code 1. */
  readonly unknown: readonly { readonly code: number; readonly value: Uint8Array }[];
}

export interface OpenMessage {
  readonly type: "open";
  readonly version: number;
  /** The 2-octet My Autonomous System field (AS_TRANS when the real ASN is in capability 65). */
  readonly myAS: number;
  readonly holdTimeS: number;
  /** Dotted quad. */
  readonly bgpIdentifier: string;
  readonly capabilities: Capabilities;
}

export type Origin = "igp" | "egp" | "incomplete";

/** Standard community as a u32 (`A:B` = A << 16 | B). */
export type StandardCommunity = number;

export interface LargeCommunity {
  readonly global: number;
  readonly local1: number;
  readonly local2: number;
}

/** What metalbun attaches to the prefixes it originates (one UPDATE group shares these). */
export interface OriginatedAttributes {
  readonly origin: Origin;
  /** The AS_PATH as one AS_SEQUENCE: [] toward iBGP peers, [myASN] toward eBGP peers. */
  readonly asPath: readonly number[];
  /**
   * IPv4: one address (the NEXT_HOP attribute). IPv6: the global address, then optionally the
   * link-local one (RFC 2545: 32-byte next hop when the peer shares the link).
   */
  readonly nextHops: readonly string[];
  /** iBGP only, and only when set (never 0 by default, unlike MetalLB native). */
  readonly localPref: number | undefined;
  readonly communities: readonly StandardCommunity[];
  readonly largeCommunities: readonly LargeCommunity[];
}

/**
 * A received UPDATE, decoded only as far as accepting and counting it needs. Attributes that
 * RFC 7606 says to treat-as-withdraw make `treatAsWithdraw` set; the session logs and ignores it.
 */
export interface UpdateMessage {
  readonly type: "update";
  readonly withdrawn: readonly Prefix[];
  readonly nlri: readonly Prefix[];
  readonly mpReach:
    | { readonly family: Family; readonly nextHops: readonly string[]; readonly nlri: readonly Prefix[] }
    | undefined;
  readonly mpUnreach: { readonly family: Family; readonly withdrawn: readonly Prefix[] } | undefined;
  /** The decoded path attributes the codec understands (absent ones undefined). */
  readonly origin: Origin | undefined;
  readonly asPath: readonly number[] | undefined;
  readonly nextHop: string | undefined;
  readonly localPref: number | undefined;
  readonly communities: readonly StandardCommunity[];
  readonly largeCommunities: readonly LargeCommunity[];
  /** RFC 7606 treat-as-withdraw: the reason, when an attribute was malformed that way. */
  readonly treatAsWithdraw: BgpError | undefined;
  /** End-of-RIB marker (RFC 4724 §2) for this family, when the UPDATE is one. */
  readonly endOfRib: Family | undefined;
}

export interface NotificationMessage {
  readonly type: "notification";
  readonly code: number;
  readonly subcode: number;
  readonly data: Uint8Array;
}

export interface KeepaliveMessage {
  readonly type: "keepalive";
}

export interface RouteRefreshMessage {
  readonly type: "route-refresh";
  readonly afi: number;
  /** 0 normal request, 1 BoRR, 2 EoRR (RFC 7313). */
  readonly subtype: number;
  readonly safi: number;
}

export type BgpMessage =
  | OpenMessage
  | UpdateMessage
  | NotificationMessage
  | KeepaliveMessage
  | RouteRefreshMessage;

/** NOTIFICATION error codes (RFC 4271 §4.5, RFC 7313). */
export const ErrorCode = {
  messageHeader: 1,
  openMessage: 2,
  updateMessage: 3,
  holdTimerExpired: 4,
  fsm: 5,
  cease: 6,
  routeRefresh: 7,
} as const;

/**
 * Why a message is in error, one name per NOTIFICATION code/subcode pair the codec produces
 * (RFC 4271 §6, RFC 5492, RFC 6286, RFC 7606).
 */
export type BgpErrorReason =
  | "connectionNotSynchronized" // 1/1
  | "badMessageLength" // 1/2
  | "badMessageType" // 1/3
  | "openMessageUnspecific" // 2/0: a malformed optional parameter or capability (RFC 4271 §6.2)
  | "unsupportedVersionNumber" // 2/1
  | "badPeerAS" // 2/2
  | "badBgpIdentifier" // 2/3
  | "unsupportedOptionalParameter" // 2/4
  | "unacceptableHoldTime" // 2/6
  | "unsupportedCapability" // 2/7
  | "malformedAttributeList" // 3/1
  | "unrecognizedWellKnownAttribute" // 3/2
  | "missingWellKnownAttribute" // 3/3
  | "attributeFlagsError" // 3/4
  | "attributeLengthError" // 3/5
  | "invalidOriginAttribute" // 3/6
  | "invalidNextHopAttribute" // 3/8
  | "optionalAttributeError" // 3/9
  | "invalidNetworkField" // 3/10
  | "malformedAsPath" // 3/11
  | "routeRefreshInvalidLength"; // 7/1

export interface BgpError {
  readonly reason: BgpErrorReason;
  readonly code: number;
  readonly subcode: number;
  /** The NOTIFICATION's data field as the RFC prescribes for this error. */
  readonly data: Uint8Array;
  /** For logs: what was wrong, in words. */
  readonly detail: string;
}

export type Decoded<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: BgpError };

/** What decoding an UPDATE or encoding for a peer depends on, once the OPENs are exchanged. */
export interface SessionCodecContext {
  /** Both sides sent capability 65: AS numbers in AS_PATH are 4 octets. */
  readonly fourOctetASN: boolean;
  /** Both sides sent capability 6: messages up to 65535 bytes (except OPEN and KEEPALIVE). */
  readonly extendedMessage: boolean;
  /** Families both sides sent (capability 1); without capability 1 at all, IPv4 unicast only. */
  readonly families: readonly Family[];
  /**
   * An iBGP session. From an eBGP peer LOCAL_PREF is discarded (RFC 7606 §7.5); unset counts as
   * iBGP, so the attribute is kept.
   */
  readonly internal?: boolean;
}
