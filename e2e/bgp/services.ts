/**
 * LoadBalancer Services for the BGP e2e tests: labelled (BGPAdvertisement serviceSelectors), from a
 * named pool, single or dual stack, in front of the seed's webpods (MetalLB announces a Service
 * only while it has a ready endpoint; the webpod Deployment's pods are on every worker).
 */
import { waitFor } from "../peers/wait.ts";
import { apply, ok } from "./support.ts";

export interface LbServiceOptions {
  readonly labels?: Record<string, string>;
  /** `metallb.io/address-pool`; absent: any pool that auto-assigns. */
  readonly pool?: string;
  readonly dualStack?: boolean;
}

/** Creates the Service and returns its ingress IPs once the controller has assigned them all. */
export async function createLbService(name: string, o: LbServiceOptions = {}): Promise<string[]> {
  await apply({
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name,
      namespace: "default",
      labels: o.labels ?? {},
      annotations: o.pool === undefined ? {} : { "metallb.io/address-pool": o.pool },
    },
    spec: {
      type: "LoadBalancer",
      selector: { app: "webpod" },
      ports: [{ port: 80, targetPort: 80 }],
      ...(o.dualStack ? { ipFamilyPolicy: "RequireDualStack", ipFamilies: ["IPv4", "IPv6"] } : {}),
    },
  });
  const wanted = o.dualStack ? 2 : 1;
  return waitFor(
    async () => {
      const text = await ok([
        "get",
        "svc",
        name,
        "-n",
        "default",
        "-o",
        'jsonpath={range .status.loadBalancer.ingress[*]}{.ip}{"\\n"}{end}',
      ]);
      const ips = text.trim().split("\n").filter(Boolean);
      return ips.length >= wanted ? ips : undefined;
    },
    { what: `${wanted} IP(s) for ${name}`, timeoutMs: 20_000 },
  );
}

export async function deleteService(name: string): Promise<void> {
  await ok(["delete", "svc", name, "-n", "default", "--wait=false"]);
}

export function anIpAddressPool(name: string, spec: Record<string, unknown>): object {
  return {
    apiVersion: "metallb.io/v1beta1",
    kind: "IPAddressPool",
    metadata: { name, namespace: "metallb-system" },
    spec,
  };
}
