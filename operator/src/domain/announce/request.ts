/**
 * A Service as the speaker reads it: what decides whether it is announced. Read once per
 * reconcile, total (never throws), malformed input kept as values.
 */
import { ALLOW_SHARED_IP, annotationValue } from "../api/annotations.ts";
import { type Service, serviceKey } from "../api/core.ts";
import { formatIP, type IPAddress, parseIP } from "../ip/address.ts";
import type { Labels } from "../selector/label-selector.ts";

/**
 * `status.loadBalancer.ingress`, as MetalLB's speaker reads it: "none" when there is no entry
 * (the controller has not assigned an IP), "invalid" when no entry holds a parsable IP.
 */
export type IngressState = "none" | "invalid" | "ips";

export interface AnnounceRequest {
  /** `namespace/name`. */
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly labels: Labels;
  readonly isLoadBalancer: boolean;
  readonly loadBalancerClass: string | undefined;
  readonly ingress: IngressState;
  /**
   * The IPs in canonical text (Go's net.IP.String()), in status order, without duplicates; empty
   * unless `ingress` is "ips". Text only: a speaker keeps one request per Service, and parsed
   * addresses (an object and a BigInt each) are needed only to find the pool, which happens when
   * a Service is decided again (ingressAddresses).
   */
  readonly ips: readonly string[];
  /** `metallb.io/allow-shared-ip`; "" when the Service does not share. */
  readonly sharingKey: string;
  readonly externalTrafficPolicyLocal: boolean;
}

const NO_IPS: readonly string[] = [];

/**
 * MetalLB parses every `ingress[].ip` and keeps the ones that parse (hostname-only entries are
 * skipped); no entry at all is `noIPAllocated`, entries without one usable IP are `invalidIP`.
 */
function ingressOf(service: Service): { ingress: IngressState; ips: readonly string[] } {
  const ingress = service.status?.loadBalancer?.ingress;
  if (!Array.isArray(ingress) || ingress.length === 0) return { ingress: "none", ips: NO_IPS };
  const parsed: IPAddress[] = [];
  const texts: string[] = [];
  for (const entry of ingress) {
    const ip = typeof entry?.ip === "string" ? parseIP(entry.ip) : undefined;
    if (ip !== undefined && !parsed.some((known) => known.family === ip.family && known.value === ip.value)) {
      parsed.push(ip);
      // The status's own string when it is canonical already (the controller writes it so): one
      // string per Service, shared with the Service object, not a second copy.
      const text = formatIP(ip);
      texts.push(text === entry.ip ? entry.ip : text);
    }
  }
  return texts.length === 0 ? { ingress: "invalid", ips: NO_IPS } : { ingress: "ips", ips: texts };
}

/** The request's IPs as addresses (they parsed when the request was made, so none is lost). */
export function ingressAddresses(request: AnnounceRequest): IPAddress[] {
  const addresses: IPAddress[] = [];
  for (const text of request.ips) {
    const address = parseIP(text);
    if (address !== undefined) addresses.push(address);
  }
  return addresses;
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
    ...ingressOf(service),
    sharingKey: annotationValue(metadata.annotations, ALLOW_SHARED_IP) ?? "",
    externalTrafficPolicyLocal: spec.externalTrafficPolicy === "Local",
  };
}
