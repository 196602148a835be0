/**
 * The API group and versions metalbun serves. They are MetalLB's own (v0.16.1), so that a
 * MetalLB user's YAML applies unchanged.
 */
export const METALLB_GROUP = "metallb.io";

export const V1BETA1 = "v1beta1";
/** BGPPeer's storage version since MetalLB 0.14.x; v1beta1 BGPPeers are still served (deprecated). */
export const V1BETA2 = "v1beta2";

export const METALLB_V1BETA1 = `${METALLB_GROUP}/${V1BETA1}` as const;
export const METALLB_V1BETA2 = `${METALLB_GROUP}/${V1BETA2}` as const;

export type MetallbApiVersion = typeof METALLB_V1BETA1 | typeof METALLB_V1BETA2;
