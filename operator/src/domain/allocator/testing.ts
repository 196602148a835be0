import type { Service } from "../api/core.ts";
import type { Config } from "../config/types.ts";
import type { AllocationPlan } from "./decision.ts";
import { allocationPlan, type PlanOptions } from "./plan.ts";
import { allocationRequestOf } from "./request.ts";

/** Test builders for Services, and a tiny "apiserver" that applies a plan's writes. */
export interface ServiceOptions {
  readonly namespace?: string;
  readonly type?: string;
  readonly annotations?: Record<string, string>;
  readonly labels?: Record<string, string>;
  /** `TCP/80` style, default ["TCP/80"]. */
  readonly ports?: readonly string[];
  readonly etp?: "Cluster" | "Local";
  readonly selector?: Record<string, string>;
  readonly clusterIPs?: readonly string[];
  readonly policy?: string;
  readonly families?: readonly string[];
  readonly loadBalancerIP?: string;
  readonly loadBalancerClass?: string;
  /** Current status IPs. */
  readonly ingress?: readonly string[];
  /** Current metallb.io/ip-allocated-from-pool. */
  readonly fromPool?: string;
}

export function aService(name: string, o: ServiceOptions = {}): Service {
  const annotations = { ...(o.annotations ?? {}) };
  if (o.fromPool !== undefined) annotations["metallb.io/ip-allocated-from-pool"] = o.fromPool;
  return {
    metadata: { name, namespace: o.namespace ?? "default", labels: o.labels, annotations },
    spec: {
      type: o.type ?? "LoadBalancer",
      ports: (o.ports ?? ["TCP/80"]).map((p) => {
        const [protocol, port] = p.split("/");
        return { protocol, port: Number(port) };
      }),
      selector: o.selector ?? { app: name },
      externalTrafficPolicy: o.etp ?? "Cluster",
      clusterIP: o.clusterIPs === undefined ? "10.96.0.10" : (o.clusterIPs[0] ?? ""),
      clusterIPs: o.clusterIPs ?? ["10.96.0.10"],
      ipFamilyPolicy: o.policy,
      ipFamilies: o.families,
      loadBalancerIP: o.loadBalancerIP,
      loadBalancerClass: o.loadBalancerClass,
    },
    status: { loadBalancer: { ingress: (o.ingress ?? []).map((ip) => ({ ip })) } },
  };
}

export function keyOf(service: Service): string {
  return `${service.metadata.namespace}/${service.metadata.name}`;
}

/** The Services after the executor wrote the plan's status and annotation changes. */
export function applied(services: readonly Service[], plan: AllocationPlan): Service[] {
  const writes = new Map(plan.decisions.map((d) => [d.key, d.write]));
  return services.map((service) => {
    const write = writes.get(keyOf(service));
    if (write === undefined) return service;
    const annotations = { ...(service.metadata.annotations ?? {}) };
    delete annotations["metallb.universe.tf/ip-allocated-from-pool"];
    if (write.allocatedFromPool === undefined) delete annotations["metallb.io/ip-allocated-from-pool"];
    else annotations["metallb.io/ip-allocated-from-pool"] = write.allocatedFromPool;
    return {
      ...service,
      metadata: { ...service.metadata, annotations },
      status: { loadBalancer: { ingress: write.ingressIPs.map((ip) => ({ ip })) } },
    };
  });
}

export function planFor(config: Config, services: readonly Service[], options?: PlanOptions): AllocationPlan {
  return allocationPlan(config, services.map(allocationRequestOf), options);
}

/** The IPs each Service holds in its status, by key: what `kubectl get svc` would show. */
export function externalIPs(services: readonly Service[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const s of services) {
    const ips = (s.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? "");
    out[keyOf(s)] = ips.length === 0 ? "<pending>" : ips.join(",");
  }
  return out;
}
