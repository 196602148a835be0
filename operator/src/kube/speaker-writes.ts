/**
 * The speaker's writes as KeyedJobs: the ServiceL2Status objects of this node (one per announced
 * Service, MetalLB 0.14.2+), created with `generateName: l2-` and MetalLB's labels, their status
 * set through the status subresource, deleted when the Service moves away. The desired set comes
 * from domain/speaker; this diffs it against what the watch shows and says how each change lands.
 */

import { LABEL_NODE, LABEL_SERVICE_NAME, LABEL_SERVICE_NAMESPACE } from "../domain/api/labels.ts";
import type { ServiceL2Status } from "../domain/api/service-l2-status.ts";
import { byCodeUnits } from "../domain/code-unit-order.ts";
import type { DesiredL2Status } from "../domain/speaker/desired.ts";
import type { KubeClient } from "./client.ts";
import { isNotFound } from "./errors.ts";
import type { KeyedJob } from "./keyed-writer.ts";
import { resources } from "./resource.ts";
import type { KubeObject } from "./types.ts";

function statusBody(d: DesiredL2Status) {
  return {
    status: {
      node: d.node,
      serviceName: d.serviceName,
      serviceNamespace: d.serviceNamespace,
      interfaces: d.interfaces.map((i) => ({ name: i.name })),
    },
  };
}

function serviceKeyOfStatus(o: ServiceL2Status): string {
  const labels = o.metadata.labels ?? {};
  return `${labels[LABEL_SERVICE_NAMESPACE] ?? ""}/${labels[LABEL_SERVICE_NAME] ?? ""}`;
}

function sameInterfaces(o: ServiceL2Status, d: DesiredL2Status): boolean {
  const have = (o.status?.interfaces ?? []).map((i) => i.name).join(",");
  return have === d.interfaces.map((i) => i.name).join(",") && o.status?.node === d.node;
}

/**
 * The jobs that bring this node's ServiceL2Status objects to `desired`: create the missing, update
 * the ones whose interfaces changed, delete the ones no longer announced here (and duplicates).
 */
export function l2StatusJobs(
  client: KubeClient,
  namespace: string,
  node: string,
  desired: readonly DesiredL2Status[],
  observed: Iterable<ServiceL2Status>,
): Map<string, KeyedJob> {
  const jobs = new Map<string, KeyedJob>();
  const mine = [...observed].filter((o) => o.metadata.labels?.[LABEL_NODE] === node);
  const byService = new Map<string, ServiceL2Status[]>();
  for (const o of mine) {
    const key = serviceKeyOfStatus(o);
    byService.set(key, [...(byService.get(key) ?? []), o]);
  }
  const wanted = new Map(desired.map((d) => [d.key, d]));

  for (const d of desired) {
    const existing = (byService.get(d.key) ?? []).sort((a, b) =>
      byCodeUnits(a.metadata.name ?? "", b.metadata.name ?? ""),
    );
    const [keep, ...extra] = existing;
    for (const dup of extra)
      jobs.set(`delete:${dup.metadata.name}`, deleteJob(client, namespace, dup.metadata.name!));
    if (keep === undefined) jobs.set(`create:${d.key}`, createJob(client, namespace, d));
    else if (!sameInterfaces(keep, d))
      jobs.set(`update:${keep.metadata.name}`, updateJob(client, namespace, keep.metadata.name!, d));
  }
  for (const o of mine) {
    if (!wanted.has(serviceKeyOfStatus(o)))
      jobs.set(`delete:${o.metadata.name}`, deleteJob(client, namespace, o.metadata.name!));
  }
  return jobs;
}

function createJob(client: KubeClient, namespace: string, d: DesiredL2Status): KeyedJob {
  return {
    fingerprint: `create:${JSON.stringify(d)}`,
    run: async () => {
      const created = await client.create<KubeObject>(resources.serviceL2Statuses, {
        metadata: {
          generateName: "l2-",
          namespace,
          labels: {
            [LABEL_NODE]: d.node,
            [LABEL_SERVICE_NAME]: d.serviceName,
            [LABEL_SERVICE_NAMESPACE]: d.serviceNamespace,
          },
        },
        spec: {},
      } as KubeObject);
      await client.patchStatus(
        resources.serviceL2Statuses,
        created.metadata.name!,
        namespace,
        statusBody(d),
        {
          type: "merge",
        },
      );
    },
  };
}

function updateJob(client: KubeClient, namespace: string, name: string, d: DesiredL2Status): KeyedJob {
  const body = { status: { interfaces: d.interfaces.map((i) => ({ name: i.name })) } };
  return {
    fingerprint: `update:${JSON.stringify(body)}`,
    run: async () => {
      await client.patchStatus(resources.serviceL2Statuses, name, namespace, body, { type: "merge" });
    },
  };
}

function deleteJob(client: KubeClient, namespace: string, name: string): KeyedJob {
  return {
    fingerprint: `delete:${name}`,
    run: async () => {
      try {
        await client.delete(resources.serviceL2Statuses, name, namespace);
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    },
  };
}
