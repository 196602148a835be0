/**
 * What a speaker's reconcile asks of the BGP announcer: the sessions this node must hold (one per
 * BGPPeer that selects it) and, per session, the whole set of routes to originate. Pure data: the
 * announcer diffs it against what each session sent (its Adj-RIB-Out) and sends the difference.
 */
import type { DynamicASNMode } from "../api/bgp-peer.ts";

/** One BGP session of this node, fully resolved (defaults applied, Secret password read). */
export interface BgpSessionSpec {
  /** The BGPPeer's name: the session's identity in status objects, logs and metrics. */
  readonly peer: string;
  /** The AS this node presents to the peer (OPEN, AS_PATH): the BGPPeer's localASN when set, else myASN. */
  readonly myASN: number;
  /** Fixed peer ASN; undefined with dynamicASN. */
  readonly peerASN: number | undefined;
  readonly dynamicASN: DynamicASNMode | undefined;
  /** Canonical text. */
  readonly peerAddress: string;
  readonly peerPort: number;
  /** Bind the session here (also the next hop); undefined: the kernel's choice. */
  readonly sourceAddress: string | undefined;
  /** Dotted quad; undefined: derived from the session's local address as MetalLB does. */
  readonly routerID: string | undefined;
  /** Proposed hold time in seconds (0 or >= 3); the session uses min(ours, peer's). */
  readonly holdTimeS: number;
  readonly keepaliveTimeS: number;
  /** Upper bound of the reconnect backoff, seconds. */
  readonly connectTimeS: number;
  /** TCP MD5 key (RFC 2385); undefined: none. */
  readonly password: string | undefined;
  /** Multi-hop eBGP: TTL 255; single-hop eBGP: TTL 1; iBGP: the system default. */
  readonly ebgpMultiHop: boolean;
  /** Also carry the other address family over this session (MP-BGP). */
  readonly dualStackAddressFamily: boolean;
  /** BFD toward the peer (its BGPPeer's bfdProfile); undefined: none. */
  readonly bfd: BgpSessionBfd | undefined;
  /** Offer graceful restart (RFC 4724; the BGPPeer's enableGracefulRestart). */
  readonly gracefulRestart: boolean;
}

/** A BFDProfile as one session runs it, MetalLB's defaults applied. */
export interface BgpSessionBfd {
  readonly profile: string;
  readonly receiveIntervalMs: number;
  readonly transmitIntervalMs: number;
  readonly detectMultiplier: number;
  /** Wait for the peer's first packet before sending any. */
  readonly passive: boolean;
  /** Multihop sessions (ebgpMultiHop) accept packets with at least this TTL. */
  readonly minimumTtl: number;
}

/** One prefix to originate toward one session, with the attributes its advertisements give it. */
export interface BgpRoute {
  /** `address/length`, the address canonical and masked to the length. */
  readonly prefix: string;
  readonly family: "ipv4" | "ipv6";
  /** undefined: not set (iBGP sessions then send 100, see DEFAULT_IBGP_LOCAL_PREF); never sent to eBGP. */
  readonly localPref: number | undefined;
  /** Standard communities as u32 (A << 16 | B), sorted, unique. */
  readonly communities: readonly number[];
  /** Large communities, sorted, unique. */
  readonly largeCommunities: readonly {
    readonly global: number;
    readonly local1: number;
    readonly local2: number;
  }[];
}

/** The BGP announcer's whole desired set. */
export interface BgpDesired {
  /** In peer-name order. */
  readonly sessions: readonly BgpSessionSpec[];
  /** Peer name -> its routes in prefix order; a session without an entry originates nothing. */
  readonly routes: ReadonlyMap<string, readonly BgpRoute[]>;
}

/** A session's state as the announcer reports it (RFC 4271 §8.2.2 names). */
export type BgpSessionState = "idle" | "connect" | "active" | "openSent" | "openConfirm" | "established";

export interface BgpSessionStatus {
  readonly peer: string;
  readonly state: BgpSessionState;
  /** Why it last left Established or failed to reach it (a typed reason code), if it did. */
  readonly lastError: string | undefined;
  /** Set while Established with graceful restart negotiated (both OPENs carried capability 64). */
  readonly gracefulRestart?: true;
}
