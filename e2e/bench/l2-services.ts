/**
 * The benches' LoadBalancer Services of the lab's web pods in `default`, with EndpointSlices on
 * every worker written as a kubelet-less cluster needs them.
 */

import { join } from "node:path";
import type { Service } from "../../operator/src/domain/api/core.ts";
import type { KubeClient } from "../../operator/src/kube/client.ts";
import { resources } from "../../operator/src/kube/resource.ts";
import type { KubeObject } from "../../operator/src/kube/types.ts";
import { kubectl } from "../cluster/cluster.ts";
import { registerEndpoints } from "../cluster/endpoints.ts";
import { setServiceDnat } from "../net/testbed.ts";
import { NODES, WORKERS } from "../net/topology.ts";
import { until } from "./report.ts";

const SEED = join(import.meta.dir, "..", "lab", "seed");

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

/** The Service's first ingress IP once it has one (polled every `stepMs`), or "" after 30 s. */
export function assignedIp(client: KubeClient, name: string, stepMs?: number): Promise<string> {
  return until(
    async () =>
      (await client.get<Service & KubeObject>(resources.services, name, "default")).status?.loadBalancer
        ?.ingress?.[0]?.ip ?? "",
    (v) => v !== "",
    30_000,
    stepMs,
  );
}

/** A Service of the web pods with endpoints on every worker; resolves with its IP once assigned. */
export async function webService(client: KubeClient, name: string): Promise<string> {
  await registerEndpoints("default", name, WORKERS);
  await client.create(resources.services, lbService(name));
  const ip = await assignedIp(client, name);
  if (ip === "") throw new Error(`${name} got no IP`);
  return ip;
}

/**
 * The seed lab's pool and L2Advertisement, svc1-svc3 with their IPs, and every node's DNAT of
 * those IPs to its web server (the testbed's kube-proxy stand-in); resolves with the three IPs.
 */
export async function seedWebServices(client: KubeClient): Promise<string[]> {
  const applied = await kubectl([
    "apply",
    "-f",
    join(SEED, "ippool.yaml"),
    "-f",
    join(SEED, "l2advertisement.yaml"),
  ]);
  if (applied.exitCode !== 0) throw new Error(`kubectl apply of the seed pool: ${applied.stderr.trim()}`);
  const ips = [
    await webService(client, "svc1"),
    await webService(client, "svc2"),
    await webService(client, "svc3"),
  ];
  for (const node of NODES) await setServiceDnat(node.name, ips);
  return ips;
}
