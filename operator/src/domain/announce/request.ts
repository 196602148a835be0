/**
 * A Service as the speaker reads it: what decides whether it is announced. Read once per
 * reconcile, total (never throws), malformed input kept as values.
 */
import { ALLOW_SHARED_IP, annotationValue } from "../api/annotations.ts";
import { type Service, serviceKey } from "../api/core.ts";
import { formatIP, type IPAddress, parseIP } from "../ip/address.ts";
import type { Labels } from "../selector/label-selector.ts";

/** `status.loadBalancer.ingress`, as MetalLB's speaker reads it. */
export type IngressIPs =
  /** No ingress entry: the controller has not assigned an IP. */
  | { readonly kind: "none" }
  /** Entries, but none holds a parsable IP. */
  | { readonly kind: "invalid" }
  | {
      readonly kind: "ips";
      readonly ips: readonly IPAddress[];
      /** The same IPs in canonical text (Go's net.IP.String()), read once: decisions share it. */
      readonly texts: readonly string[];
    };

export interface AnnounceRequest {
  /** `namespace/name`. */
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly labels: Labels;
  readonly isLoadBalancer: boolean;
  readonly loadBalancerClass: string | undefined;
  readonly ingress: IngressIPs;
  /** `metallb.io/allow-shared-ip`; "" when the Service does not share. */
  readonly sharingKey: string;
  readonly externalTrafficPolicyLocal: boolean;
}

/**
 * MetalLB parses every `ingress[].ip` and keeps the ones that parse (hostname-only entries are
 * skipped); no entry at all is `noIPAllocated`, entries without one usable IP are `invalidIP`.
 */
function ingressOf(service: Service): IngressIPs {
  const ingress = service.status?.loadBalancer?.ingress;
  if (!Array.isArray(ingress) || ingress.length === 0) return { kind: "none" };
  const ips: IPAddress[] = [];
  const texts: string[] = [];
  for (const entry of ingress) {
    const ip = typeof entry?.ip === "string" ? parseIP(entry.ip) : undefined;
    if (ip !== undefined && !ips.some((known) => known.family === ip.family && known.value === ip.value)) {
      ips.push(ip);
      // The status's own string when it is canonical already (the controller writes it so): one
      // string per Service, shared with the Service object, not a second copy.
      const text = formatIP(ip);
      texts.push(text === entry.ip ? entry.ip : text);
    }
  }
  return ips.length === 0 ? { kind: "invalid" } : { kind: "ips", ips, texts };
}

export function announceRequestOf(service: Service): AnnounceRequest {
  const metadata = service.metadata ?? {};
  const spec = service.spec ?? {};
  const namespace = metadata.namespace ?? "";
  const name = metadata.name ?? "";
  return {
    key: serviceKey(namespace, name),
    namespace,
    name,
    uid: metadata.uid ?? "",
    labels: metadata.labels,
    isLoadBalancer: spec.type === "LoadBalancer",
    loadBalancerClass: typeof spec.loadBalancerClass === "string" ? spec.loadBalancerClass : undefined,
    ingress: ingressOf(service),
    sharingKey: annotationValue(metadata.annotations, ALLOW_SHARED_IP) ?? "",
    externalTrafficPolicyLocal: spec.externalTrafficPolicy === "Local",
  };
}
