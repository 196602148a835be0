import type { METALLB_V1BETA1 } from "./group.ts";
import type { ObjectMeta } from "./object-meta.ts";

/** BFDProfile (metallb.io/v1beta1): BFD (RFC 5880/5881) session parameters a BGPPeer can refer to. */
export interface BFDProfile {
  readonly apiVersion: typeof METALLB_V1BETA1;
  readonly kind: "BFDProfile";
  readonly metadata: ObjectMeta;
  readonly spec: BFDProfileSpec;
  readonly status?: Readonly<Record<string, never>>;
}

/** Documented defaults, applied by the speaker when a field is unset (not by the apiserver). */
export const BFD_DEFAULTS = {
  receiveInterval: 300,
  transmitInterval: 300,
  detectMultiplier: 3,
  echoInterval: 50,
  echoMode: false,
  passiveMode: false,
  minimumTtl: 254,
} as const;

export interface BFDProfileSpec {
  /** Milliseconds, 10..60000. */
  readonly receiveInterval?: number;
  /** Milliseconds, 10..60000. */
  readonly transmitInterval?: number;
  /** 2..255. */
  readonly detectMultiplier?: number;
  /** Milliseconds, 10..60000. */
  readonly echoInterval?: number;
  /** Not for multi-hop sessions nor IPv6 advertisements. */
  readonly echoMode?: boolean;
  readonly passiveMode?: boolean;
  /** 1..254, multi-hop sessions only. */
  readonly minimumTtl?: number;
}
