import type { METALLB_V1BETA1 } from "./group.ts";
import type { ObjectMeta } from "./object-meta.ts";

/** Community (metallb.io/v1beta1): names for BGP community values, usable in BGPAdvertisements. */
export interface Community {
  readonly apiVersion: typeof METALLB_V1BETA1;
  readonly kind: "Community";
  readonly metadata: ObjectMeta;
  readonly spec: CommunitySpec;
  readonly status?: Readonly<Record<string, never>>;
}

export interface CommunitySpec {
  readonly communities?: readonly CommunityAlias[];
}

export interface CommunityAlias {
  /** Unique across every Community object. */
  readonly name: string;
  /** `A:B` (16 bits each) or `large:A:B:C` (32 bits each). */
  readonly value: string;
}
