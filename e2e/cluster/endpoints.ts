/**
 * The EndpointSlice controller's part, which the testbed does not run: an EndpointSlice for a
 * Service listing ready "pods" on the given nodes. The testbed's pods are the web servers in the
 * node namespaces, so a pod's address is its node's address (port 8080, where they listen).
 */
import type { Member } from "../net/topology.ts";
import { kubectl } from "./cluster.ts";

function sliceFor(namespace: string, service: string, nodes: readonly Member[], ready: boolean) {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: {
      name: `${service}-testbed`,
      namespace,
      labels: {
        "kubernetes.io/service-name": service,
        "endpointslice.kubernetes.io/managed-by": "metalbun-testbed",
      },
    },
    addressType: "IPv4",
    ports: [{ name: "", port: 8080, protocol: "TCP" }],
    endpoints: nodes.map((n) => ({
      addresses: [n.ipv4],
      conditions: { ready, serving: ready, terminating: false },
      nodeName: n.name,
    })),
  };
}

/** The same for many Services at once (benches with thousands): one apply per 500 slices. */
export async function registerEndpointsBulk(
  namespace: string,
  services: readonly string[],
  nodes: readonly Member[],
): Promise<void> {
  for (let i = 0; i < services.length; i += 500) {
    const items = services.slice(i, i + 500).map((s) => sliceFor(namespace, s, nodes, true));
    const r = await kubectl(["apply", "--server-side", "--field-manager=metalbun-testbed", "-f", "-"], {
      stdin: JSON.stringify({ apiVersion: "v1", kind: "List", items }),
    });
    if (r.exitCode !== 0) throw new Error(`EndpointSlices ${namespace}: ${r.stderr.trim()}`);
  }
}

export async function registerEndpoints(
  namespace: string,
  service: string,
  nodes: readonly Member[],
  opts: { ready?: boolean } = {},
): Promise<void> {
  const slice = sliceFor(namespace, service, nodes, opts.ready ?? true);
  const r = await kubectl(["apply", "--server-side", "--field-manager=metalbun-testbed", "-f", "-"], {
    stdin: JSON.stringify(slice),
  });
  if (r.exitCode !== 0) throw new Error(`EndpointSlice ${namespace}/${service}: ${r.stderr.trim()}`);
}
