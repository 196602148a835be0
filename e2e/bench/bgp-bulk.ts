/**
 * The BGP bench's bulk Services: a /18 pool of its own with autoAssign off, 10k LoadBalancer
 * Services asking for it (endpoints on every worker written by the bench, as there are no
 * kubelets), and how many of its routes the router's kernel holds.
 */
import type { Service } from "../../operator/src/domain/api/core.ts";
import type { KubeClient } from "../../operator/src/kube/client.ts";
import { resources } from "../../operator/src/kube/resource.ts";
import type { KubeObject } from "../../operator/src/kube/types.ts";
import { apply, NAMESPACE } from "../bgp/support.ts";
import { registerEndpointsBulk } from "../cluster/endpoints.ts";
import { runOk } from "../net/run.ts";
import { ROUTER, WORKERS } from "../net/topology.ts";
import { waitFor } from "../peers/wait.ts";
import { lbService } from "./l2-services.ts";

/** Beside the seed pool (172.18.255.200-250) and far from the nodes' 172.18.0.x. */
export const BULK_POOL = "172.18.128.0/18";
/** METALBUN_BENCH_BGP_BULK=<n>: fewer for a quick look at the bulk parts (the metric names keep "10k"; n says). */
export const BULK_COUNT = Number(process.env.METALBUN_BENCH_BGP_BULK ?? 10_000);

export const ingressIp = (s: Service) => s.status?.loadBalancer?.ingress?.[0]?.ip ?? "";

/** The bulk pool, with no BGPAdvertisement yet: its Services get IPs and nothing announces them. */
export async function bulkServices(client: KubeClient): Promise<string[]> {
  await apply({
    apiVersion: "metallb.io/v1beta1",
    kind: "IPAddressPool",
    metadata: { name: "bulk", namespace: NAMESPACE },
    spec: { addresses: [BULK_POOL], autoAssign: false },
  });
  const started = performance.now();
  const names = Array.from({ length: BULK_COUNT }, (_, i) => `bulk-${i}`);
  for (let i = 0; i < names.length; i += 32) {
    await Promise.all(
      names
        .slice(i, i + 32)
        .map((name) => client.create(resources.services, lbService(name, { pool: "bulk" }))),
    );
  }
  await registerEndpointsBulk("default", names, WORKERS);
  const ips = await waitFor(
    async () => {
      const found: string[] = [];
      let cont: string | undefined;
      do {
        const page = await client.list<Service & KubeObject>(resources.services, {
          namespace: "default",
          limit: 1000,
          continue: cont,
        });
        for (const s of page.items) {
          if (s.metadata.name?.startsWith("bulk-") && ingressIp(s) !== "") found.push(ingressIp(s));
        }
        cont = page.metadata.continue || undefined;
      } while (cont);
      return found.length >= BULK_COUNT ? found : undefined;
    },
    { what: `${BULK_COUNT} bulk Services assigned`, timeoutMs: 600_000, intervalMs: 5_000 },
  );
  console.error(
    `[bulk] ${BULK_COUNT} Services created and assigned in ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  return ips;
}

/** How many kernel routes the router has inside the bulk pool. */
export async function bulkKernelRoutes(): Promise<number> {
  const out = await runOk(["ip", "-n", ROUTER.name, "-4", "route", "show", "root", BULK_POOL]);
  return out.split("\n").filter((l) => l.trim() !== "").length;
}
