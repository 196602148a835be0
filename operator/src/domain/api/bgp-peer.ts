import type { METALLB_V1BETA1, METALLB_V1BETA2 } from "./group.ts";
import type { LabelSelector } from "./label-selector.ts";
import type { ObjectMeta } from "./object-meta.ts";

/**
 * BGPPeer (metallb.io/v1beta2, the storage version): one BGP session per selected node.
 * Durations are Go duration strings ("90s", "1m30s").
 */
export interface BGPPeer {
  readonly apiVersion: typeof METALLB_V1BETA2;
  readonly kind: "BGPPeer";
  readonly metadata: ObjectMeta;
  readonly spec: BGPPeerSpec;
  readonly status?: Readonly<Record<string, never>>;
}

/** dynamicASN: accept whatever ASN the peer sends, as long as it is iBGP (internal) or eBGP (external). */
export type DynamicASNMode = "internal" | "external";

export const DEFAULT_BGP_PORT = 179;

export interface SecretReference {
  readonly name?: string;
  readonly namespace?: string;
}

export interface BGPPeerSpec {
  /** Local AS number, 1..4294967295 (RFC 6793 4-octet ASNs). */
  readonly myASN: number;
  /** Exactly one of peerASN and dynamicASN. */
  readonly peerASN?: number;
  readonly dynamicASN?: DynamicASNMode;
  /** The AS presented to the peer instead of myASN (FRR `local-as … no-prepend replace-as`). */
  readonly localASN?: number;
  /** Exactly one of peerAddress and interface. */
  readonly peerAddress?: string;
  /** BGP unnumbered over this host interface. */
  readonly interface?: string;
  readonly sourceAddress?: string;
  /** 1..16384, default 179. */
  readonly peerPort?: number;
  /** 0 or >= 3s (RFC 4271 §4.2). Unset: backend default; only keepalive set: hold = 3 x keepalive. */
  readonly holdTime?: string;
  /** <= holdTime. Unset with holdTime set: keepalive = hold / 3. */
  readonly keepaliveTime?: string;
  /** 1s..65535s in whole seconds. */
  readonly connectTime?: string;
  readonly routerID?: string;
  readonly nodeSelectors?: readonly LabelSelector[];
  /** TCP-MD5 (RFC 2385). At most one of password and passwordSecret. */
  readonly password?: string;
  /** A `kubernetes.io/basic-auth` Secret in the MetalLB namespace; the key `password` is used. */
  readonly passwordSecret?: SecretReference;
  readonly bfdProfile?: string;
  /** Immutable (RFC 4724 capability is negotiated at session start). */
  readonly enableGracefulRestart?: boolean;
  /** Not allowed for iBGP (peerASN == myASN). */
  readonly ebgpMultiHop?: boolean;
  readonly vrf?: string;
  /** Deprecated in MetalLB 0.15: has no effect. */
  readonly disableMP?: boolean;
  /** Carry the other address family on this session too (IPv4 over IPv6 and the reverse). */
  readonly dualStackAddressFamily?: boolean;
}

/** BGPPeer as served at the deprecated metallb.io/v1beta1. */
export interface BGPPeerV1beta1 {
  readonly apiVersion: typeof METALLB_V1BETA1;
  readonly kind: "BGPPeer";
  readonly metadata: ObjectMeta;
  readonly spec: BGPPeerV1beta1Spec;
  readonly status?: Readonly<Record<string, never>>;
}

export interface BGPPeerV1beta1Spec {
  readonly myASN: number;
  readonly peerASN: number;
  readonly peerAddress: string;
  readonly sourceAddress?: string;
  /** 0..16384 at v1beta1. */
  readonly peerPort?: number;
  readonly holdTime?: string;
  readonly keepaliveTime?: string;
  readonly routerID?: string;
  /** Same JSON shape as LabelSelector (v1beta1 declared its own struct for it). */
  readonly nodeSelectors?: readonly LabelSelector[];
  readonly password?: string;
  readonly bfdProfile?: string;
  readonly ebgpMultiHop?: boolean;
}
