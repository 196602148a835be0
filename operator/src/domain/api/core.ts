import type { ObjectMeta } from "./object-meta.ts";

/**
 * The parts of core/v1 Service, Namespace and Node, and of discovery/v1 EndpointSlice, that the
 * domain reads. Field types are the wire types (plain strings), so objects from the apiserver (or
 * @kubernetes/client-node) fit as they are; domain code interprets them (see allocator/request.ts).
 */
export interface ServicePort {
  readonly name?: string;
  /** TCP (the apiserver default), UDP or SCTP. */
  readonly protocol?: string;
  readonly port: number;
}

export interface ServiceSpec {
  /** ClusterIP (default), NodePort, LoadBalancer, ExternalName. */
  readonly type?: string;
  readonly ports?: readonly ServicePort[];
  readonly selector?: Readonly<Record<string, string>>;
  readonly clusterIP?: string;
  readonly clusterIPs?: readonly string[];
  /** SingleStack (default), PreferDualStack, RequireDualStack. */
  readonly ipFamilyPolicy?: string;
  /** "IPv4" / "IPv6", primary first. */
  readonly ipFamilies?: readonly string[];
  /** Deprecated upstream, still honoured by MetalLB. */
  readonly loadBalancerIP?: string;
  readonly loadBalancerClass?: string;
  /** Cluster (default) or Local. */
  readonly externalTrafficPolicy?: string;
}

export interface LoadBalancerIngress {
  readonly ip?: string;
  readonly hostname?: string;
  readonly ipMode?: string;
}

export interface ServiceStatus {
  readonly loadBalancer?: { readonly ingress?: readonly LoadBalancerIngress[] };
}

export interface Service {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata: ObjectMeta;
  readonly spec?: ServiceSpec;
  readonly status?: ServiceStatus;
}

export interface Namespace {
  readonly metadata: ObjectMeta;
}

export interface NodeCondition {
  readonly type: string;
  readonly status: string;
}

export interface Node {
  readonly metadata: ObjectMeta;
  readonly status?: { readonly conditions?: readonly NodeCondition[] };
}

/** discovery.k8s.io/v1 EndpointConditions: nil means "unknown", which consumers treat as true for ready. */
export interface EndpointConditions {
  readonly ready?: boolean | null;
  readonly serving?: boolean | null;
  readonly terminating?: boolean | null;
}

export interface Endpoint {
  readonly addresses?: readonly string[];
  readonly conditions?: EndpointConditions;
  /** The node hosting the endpoint (what ETP=Local elections look at). */
  readonly nodeName?: string;
}

/** discovery.k8s.io/v1 EndpointSlice: the parts the speaker reads. */
export interface EndpointSlice {
  readonly metadata: ObjectMeta;
  readonly addressType?: string;
  readonly endpoints?: readonly Endpoint[] | null;
}

/** Label on an EndpointSlice naming the Service (in the slice's namespace) it belongs to. */
export const LABEL_ENDPOINT_SLICE_SERVICE_NAME = "kubernetes.io/service-name";

/**
 * The one place a Service key is built: `namespace/name`, the same string MetalLB uses in its
 * events ("Failed to allocate IP for \"ns/name\": …") and client-go's MetaNamespaceKeyFunc.
 */
export function serviceKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}
