import {
  ADDRESS_POOL,
  ALLOW_SHARED_IP,
  annotationValue,
  deprecatedAnnotationKeys,
  IP_ALLOCATED_FROM_POOL,
  LOAD_BALANCER_IPS,
} from "../api/annotations.ts";
import { type Service, serviceKey } from "../api/core.ts";
import { formatIP, type IPAddress, parseIP } from "../ip/address.ts";
import type { FamilySet, IPFamily } from "../ip/family.ts";
import type { Result } from "../ip/result.ts";
import type { Labels } from "../selector/label-selector.ts";
import { type FamilyPolicy, familyOfAddresses } from "./families.ts";

/** The IPs a Service asks for, from `metallb.io/loadBalancerIPs` or `spec.loadBalancerIP`. */
export type RequestedIPs =
  | { readonly kind: "none" }
  | { readonly kind: "ips"; readonly ips: readonly IPAddress[]; readonly family: FamilySet }
  /** Malformed or contradictory: the message MetalLB puts in its events. */
  | { readonly kind: "invalid"; readonly error: string };

/** What the Service currently carries that the controller owns (status and one annotation). */
export interface CurrentAssignment {
  /** `status.loadBalancer.ingress[].ip`, the non-empty ones, in order, as written. */
  readonly ingressIPs: readonly string[];
  /** Number of ingress entries, hostname-only ones included. */
  readonly ingressCount: number;
  /** Every entry is just an IP (what the controller writes; ipMode is ignored). */
  readonly ingressPlain: boolean;
  /** `metallb.io/ip-allocated-from-pool`. */
  readonly allocatedFromPool: string | undefined;
  /** `metallb.universe.tf/ip-allocated-from-pool` is present (the controller removes it). */
  readonly legacyAllocatedFromPool: boolean;
}

/**
 * A Service as the allocator sees it: everything read once from annotations and spec, malformed
 * input kept as error values. The allocator never reads a raw Service.
 */
export interface AllocationRequest {
  /** `namespace/name`. */
  readonly key: string;
  readonly namespace: string;
  readonly name: string;
  readonly labels: Labels;
  readonly isLoadBalancer: boolean;
  readonly loadBalancerClass: string | undefined;
  readonly requested: RequestedIPs;
  /** `metallb.io/address-pool`; undefined when unset or empty. */
  readonly addressPool: string | undefined;
  /** `metallb.io/allow-shared-ip`; "" when the Service does not share. */
  readonly sharingKey: string;
  /** "" for externalTrafficPolicy Cluster; the serialized selector for Local (MetalLB BackendKey). */
  readonly backendKey: string;
  /** `PROTOCOL/port`, e.g. `TCP/80` (the form MetalLB prints in port conflicts). */
  readonly ports: readonly string[];
  /** spec.clusterIPs as given (RequireDualStack needs two of them). */
  readonly clusterIPs: readonly string[];
  readonly clusterIP: string;
  /** The family set of the cluster IPs (clusterIPs, else clusterIP), or MetalLB's error text. */
  readonly clusterFamily: Result<FamilySet>;
  /** Neither clusterIPs nor clusterIP is set. */
  readonly noClusterIPs: boolean;
  readonly familyPolicy: FamilyPolicy;
  /** ipFamilies[0] == IPv6 makes IPv6 primary (for PreferDualStack fallbacks). */
  readonly primaryFamily: IPFamily;
  readonly current: CurrentAssignment;
  /** The `metallb.universe.tf/*` annotation keys present, sorted. */
  readonly deprecatedAnnotations: readonly string[];
}

const POLICIES: ReadonlySet<string> = new Set(["SingleStack", "PreferDualStack", "RequireDualStack"]);

/** Reads a Service into an AllocationRequest. Total: never throws, whatever the object holds. */
export function allocationRequestOf(service: Service): AllocationRequest {
  const metadata = service.metadata ?? {};
  const spec = service.spec ?? {};
  const annotations = metadata.annotations;
  const namespace = metadata.namespace ?? "";
  const name = metadata.name ?? "";
  const clusterIPs = Array.isArray(spec.clusterIPs)
    ? spec.clusterIPs.filter((ip) => typeof ip === "string")
    : [];
  const clusterIP = typeof spec.clusterIP === "string" ? spec.clusterIP : "";
  const ingress = Array.isArray(service.status?.loadBalancer?.ingress)
    ? (service.status?.loadBalancer?.ingress ?? [])
    : [];
  const ingressIPs = ingress
    .map((i) => i?.ip)
    .filter((ip): ip is string => typeof ip === "string" && ip !== "");
  const pool = annotationValue(annotations, ADDRESS_POOL);
  const policy = spec.ipFamilyPolicy ?? "SingleStack";
  return {
    key: serviceKey(namespace, name),
    namespace,
    name,
    labels: metadata.labels,
    isLoadBalancer: spec.type === "LoadBalancer",
    loadBalancerClass: typeof spec.loadBalancerClass === "string" ? spec.loadBalancerClass : undefined,
    requested: requestedIPsOf(
      annotationValue(annotations, LOAD_BALANCER_IPS) ?? "",
      spec.loadBalancerIP ?? "",
    ),
    addressPool: pool === undefined || pool === "" ? undefined : pool,
    sharingKey: annotationValue(annotations, ALLOW_SHARED_IP) ?? "",
    backendKey: spec.externalTrafficPolicy === "Local" ? selectorKeyOf(spec.selector) : "",
    ports: (Array.isArray(spec.ports) ? spec.ports : []).map((p) => `${p?.protocol || "TCP"}/${p?.port}`),
    clusterIPs,
    clusterIP,
    clusterFamily: familyOfAddresses(clusterIPs.length > 0 ? clusterIPs : [clusterIP]),
    noClusterIPs: clusterIPs.length === 0 && clusterIP === "",
    familyPolicy: POLICIES.has(policy) ? (policy as FamilyPolicy) : "SingleStack",
    primaryFamily: spec.ipFamilies?.[0] === "IPv6" ? "ipv6" : "ipv4",
    current: {
      ingressIPs,
      ingressCount: ingress.length,
      ingressPlain: ingress.every((i) => typeof i?.ip === "string" && i.ip !== "" && !i.hostname),
      allocatedFromPool: annotations?.[IP_ALLOCATED_FROM_POOL.current],
      legacyAllocatedFromPool: annotations?.[IP_ALLOCATED_FROM_POOL.legacy] !== undefined,
    },
    deprecatedAnnotations: deprecatedAnnotationKeys(annotations),
  };
}

/**
 * MetalLB getDesiredLbIPs: the annotation (comma-separated, each trimmed) or spec.loadBalancerIP,
 * never both; one IP, or two of different families.
 */
export function requestedIPsOf(annotation: string, loadBalancerIP: string): RequestedIPs {
  if (annotation === "" && loadBalancerIP === "") return { kind: "none" };
  if (annotation !== "" && loadBalancerIP !== "") {
    return {
      kind: "invalid",
      error: `service can not have both ${LOAD_BALANCER_IPS.current} and svc.Spec.LoadBalancerIP`,
    };
  }
  if (annotation !== "") {
    const ips: IPAddress[] = [];
    for (const part of annotation.split(",")) {
      const ip = parseIP(part.trim());
      if (ip === undefined)
        return { kind: "invalid", error: `invalid ${LOAD_BALANCER_IPS.current}: "${annotation}"` };
      ips.push(ip);
    }
    return withFamily(ips);
  }
  const ip = parseIP(loadBalancerIP);
  if (ip === undefined) return { kind: "invalid", error: `invalid spec.loadBalancerIP "${loadBalancerIP}"` };
  return { kind: "ips", ips: [ip], family: ip.family };
}

function withFamily(ips: IPAddress[]): RequestedIPs {
  if (ips.length === 1) return { kind: "ips", ips, family: ips[0]!.family };
  // Re-derive the family from the canonical texts so the errors match ipfamily.ForAddresses.
  const family = familyOfAddresses(ips.map(formatIP));
  return family.ok ? { kind: "ips", ips, family: family.value } : { kind: "invalid", error: family.error };
}

/** labels.Set(selector).String(): `k1=v1,k2=v2`, keys sorted (MetalLB k8salloc.BackendKey). */
function selectorKeyOf(selector: Readonly<Record<string, string>> | undefined): string {
  if (selector === undefined || selector === null) return "";
  return Object.keys(selector)
    .sort()
    .map((k) => `${k}=${selector[k]}`)
    .join(",");
}
