import type { METALLB_V1BETA1 } from "./group.ts";
import type { ObjectMeta } from "./object-meta.ts";

/**
 * ServiceL2Status (metallb.io/v1beta1): written by the announcing speaker, one per announced
 * Service, named `l2-<random>` and labelled with the node and Service (see labels.ts).
 */
export interface ServiceL2Status {
  readonly apiVersion: typeof METALLB_V1BETA1;
  readonly kind: "ServiceL2Status";
  readonly metadata: ObjectMeta;
  readonly spec?: Readonly<Record<string, never>>;
  readonly status?: ServiceL2StatusStatus;
}

export interface ServiceL2StatusStatus {
  /** Immutable once set. */
  readonly node?: string;
  /** Immutable once set. */
  readonly serviceName?: string;
  /** Immutable once set. */
  readonly serviceNamespace?: string;
  readonly interfaces?: readonly InterfaceInfo[];
}

export interface InterfaceInfo {
  readonly name: string;
}
