import type { METALLB_V1BETA1 } from "./group.ts";
import type { ObjectMeta } from "./object-meta.ts";

/**
 * ServiceBGPStatus (metallb.io/v1beta1): one per (Service, node) advertised over BGP, named
 * `bgp-<random>`, written by that node's speaker.
 */
export interface ServiceBGPStatus {
  readonly apiVersion: typeof METALLB_V1BETA1;
  readonly kind: "ServiceBGPStatus";
  readonly metadata: ObjectMeta;
  readonly spec?: Readonly<Record<string, never>>;
  readonly status?: ServiceBGPStatusStatus;
}

export interface ServiceBGPStatusStatus {
  /** Immutable once set. */
  readonly node?: string;
  /** Immutable once set. */
  readonly serviceName?: string;
  /** Immutable once set. */
  readonly serviceNamespace?: string;
  /** BGPPeer names the Service is configured to be advertised to (not the session state). */
  readonly peers?: readonly string[];
}
