/**
 * Service annotations MetalLB reads and writes. MetalLB 0.14.9 moved them from the
 * `metallb.universe.tf/` prefix to `metallb.io/`; the legacy names are still read, and a Service
 * that carries one gets a `deprecatedAnnotation` Warning event.
 */
export const ANNOTATION_PREFIX = "metallb.io/";
export const LEGACY_ANNOTATION_PREFIX = "metallb.universe.tf/";

export interface AnnotationName {
  readonly current: string;
  readonly legacy: string;
}

function annotationName(suffix: string): AnnotationName {
  return { current: `${ANNOTATION_PREFIX}${suffix}`, legacy: `${LEGACY_ANNOTATION_PREFIX}${suffix}` };
}

/** Comma-separated requested IPs: one, or two of different families for dual-stack. */
export const LOAD_BALANCER_IPS = annotationName("loadBalancerIPs");
/** Allocate from this pool (even when it has autoAssign: false). */
export const ADDRESS_POOL = annotationName("address-pool");
/** Sharing key: Services with the same key may share an IP if their ports do not clash. */
export const ALLOW_SHARED_IP = annotationName("allow-shared-ip");
/** Written by the controller next to the status: the pool the IPs came from. Only `current` is written. */
export const IP_ALLOCATED_FROM_POOL = annotationName("ip-allocated-from-pool");

export const SERVICE_ANNOTATIONS: readonly AnnotationName[] = [
  LOAD_BALANCER_IPS,
  ADDRESS_POOL,
  ALLOW_SHARED_IP,
  IP_ALLOCATED_FROM_POOL,
];

/**
 * The value of an annotation under its current name, else under its legacy name; undefined if
 * neither is set. The current name wins when both are present: it is the one MetalLB documents.
 */
export function annotationValue(
  annotations: Readonly<Record<string, string>> | undefined,
  name: AnnotationName,
): string | undefined {
  if (annotations === undefined) return undefined;
  return annotations[name.current] ?? annotations[name.legacy];
}

/** The legacy-prefixed annotation keys present, sorted (each one deserves a deprecation event). */
export function deprecatedAnnotationKeys(
  annotations: Readonly<Record<string, string>> | undefined,
): string[] {
  if (annotations === undefined) return [];
  return Object.keys(annotations)
    .filter((key) => key.startsWith(LEGACY_ANNOTATION_PREFIX))
    .sort();
}
