/**
 * The benches' LoadBalancer Services of the lab's web pods in `default`, with EndpointSlices on
 * every worker written as a kubelet-less cluster needs them.
 */
import type { Service } from "../../operator/src/domain/api/core.ts";
import type { KubeClient } from "../../operator/src/kube/client.ts";
import { resources } from "../../operator/src/kube/resource.ts";
import type { KubeObject } from "../../operator/src/kube/types.ts";
import { registerEndpoints } from "../cluster/endpoints.ts";
import { NODES } from "../net/topology.ts";
import { until } from "./report.ts";

export const WORKERS = NODES.slice(1);

/**
 * A LoadBalancer Service of the lab's web pods in `default` (no NodePorts: thousands of them
 * would exhaust the range, and MetalLB never uses them).
 */
export function lbService(
  name: string,
  o: { pool?: string; spec?: Partial<Service["spec"]> } = {},
): Service & KubeObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: {
      name,
      namespace: "default",
      ...(o.pool !== undefined && { annotations: { "metallb.io/address-pool": o.pool } }),
    },
    spec: {
      type: "LoadBalancer",
      allocateLoadBalancerNodePorts: false,
      ...o.spec,
      selector: { app: "webpod" },
      ports: [{ port: 80 }],
    },
  } as Service & KubeObject;
}

/** A Service of the web pods with endpoints on every worker; resolves with its IP once assigned. */
export async function webService(client: KubeClient, name: string): Promise<string> {
  await registerEndpoints("default", name, WORKERS);
  await client.create(resources.services, lbService(name));
  const ip = await until(
    async () =>
      (await client.get<Service & KubeObject>(resources.services, name, "default")).status?.loadBalancer
        ?.ingress?.[0]?.ip ?? "",
    (v) => v !== "",
    30_000,
  );
  if (ip === "") throw new Error(`${name} got no IP`);
  return ip;
}
