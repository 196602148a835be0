/**
 * The speaker's writes as KeyedJobs: this node's per-Service status objects, ServiceL2Status
 * (MetalLB 0.14.2+, one per Service announced in Layer 2) and ServiceBGPStatus (one per Service
 * advertised over BGP, listing the peers), created with `generateName` (`l2-`, `bgp-`) and
 * MetalLB's labels, their status set through the status subresource, deleted when the Service is
 * no longer announced here. The desired sets come from domain/speaker; this diffs them against
 * what the watch shows and says how each change lands. Status answers are drained, not parsed:
 * the watch brings each object anyway, and a new BGP peer rewrites 10k of them.
 */

import { LABEL_NODE, LABEL_SERVICE_NAME, LABEL_SERVICE_NAMESPACE } from "../domain/api/labels.ts";
import { byCodeUnits } from "../domain/code-unit-order.ts";
import type { DesiredBgpStatus, DesiredL2Status } from "../domain/speaker/desired.ts";
import type { KubeClient } from "./client.ts";
import { isNotFound } from "./errors.ts";
import type { KeyedJob } from "./keyed-writer.ts";
import { type ResourceType, resources } from "./resource.ts";
import type { KubeObject } from "./types.ts";

/** What every per-Service status object of a node shares. */
interface DesiredStatusObject {
  readonly key: string;
  readonly node: string;
  readonly serviceName: string;
  readonly serviceNamespace: string;
}

interface StatusObject extends KubeObject {
  readonly status?: { readonly node?: string; readonly interfaces?: unknown; readonly peers?: unknown };
}

/** How one kind of status object is written. */
interface StatusKind<D extends DesiredStatusObject> {
  readonly resource: ResourceType;
  readonly generateName: string;
  /** The part of `status` that may change after creation. */
  mutable(d: D): Record<string, unknown>;
  /** Whether the object already says what `d` says. */
  same(o: StatusObject, d: D): boolean;
}

const names = (list: unknown, field: "name" | undefined) =>
  (Array.isArray(list) ? list : []).map((x) => (field ? (x as { name?: string })?.name : x)).join(",");

const L2_STATUS: StatusKind<DesiredL2Status> = {
  resource: resources.serviceL2Statuses,
  generateName: "l2-",
  mutable: (d) => ({ interfaces: d.interfaces.map((i) => ({ name: i.name })) }),
  same: (o, d) =>
    o.status?.node === d.node &&
    names(o.status?.interfaces, "name") === d.interfaces.map((i) => i.name).join(","),
};

const BGP_STATUS: StatusKind<DesiredBgpStatus> = {
  resource: resources.serviceBGPStatuses,
  generateName: "bgp-",
  mutable: (d) => ({ peers: [...d.peers] }),
  same: (o, d) => o.status?.node === d.node && names(o.status?.peers, undefined) === d.peers.join(","),
};

function serviceKeyOfStatus(o: KubeObject): string {
  const labels = o.metadata.labels ?? {};
  return `${labels[LABEL_SERVICE_NAMESPACE] ?? ""}/${labels[LABEL_SERVICE_NAME] ?? ""}`;
}

/**
 * The jobs of the last call, by job key, with the desired object each was made for. The reconciler
 * hands on the same object while it says the same, so a call over 10k Services still waiting for
 * their write (a new peer changes every ServiceBGPStatus) reuses 10k jobs rather than making them
 * and their fingerprints again. Only the last call's jobs are kept: a job done is forgotten.
 */
export class StatusJobMemo {
  private last = new Map<string, { readonly d: DesiredStatusObject; readonly job: KeyedJob }>();
  private next = new Map<string, { readonly d: DesiredStatusObject; readonly job: KeyedJob }>();

  job(key: string, d: DesiredStatusObject, make: () => KeyedJob): KeyedJob {
    const found = this.last.get(key);
    const made = found !== undefined && found.d === d ? found : { d, job: make() };
    this.next.set(key, made);
    return made.job;
  }

  /** The call is over: its jobs are the ones to reuse next time. */
  done(): void {
    this.last = this.next;
    this.next = new Map();
  }
}

const byName = (a: StatusObject, b: StatusObject) =>
  byCodeUnits(a.metadata.name ?? "", b.metadata.name ?? "");

/**
 * The jobs that bring this node's objects of one kind to `desired`: create the missing, update the
 * ones whose mutable part changed, delete the ones no longer wanted here (and duplicates).
 */
function statusJobs<D extends DesiredStatusObject>(
  kind: StatusKind<D>,
  client: KubeClient,
  namespace: string,
  node: string,
  desired: readonly D[],
  observed: Iterable<StatusObject>,
  memo: StatusJobMemo,
): Map<string, KeyedJob> {
  const jobs = new Map<string, KeyedJob>();
  // The object kept per Service (the first by name); the rest are duplicates, rarely any.
  const kept = new Map<string, StatusObject>();
  const duplicates = new Map<string, StatusObject[]>();
  const mine: StatusObject[] = [];
  for (const o of observed) {
    if (o.metadata.labels?.[LABEL_NODE] !== node) continue;
    mine.push(o);
    const key = serviceKeyOfStatus(o);
    const first = kept.get(key);
    if (first === undefined) {
      kept.set(key, o);
      continue;
    }
    const all = [first, o, ...(duplicates.get(key) ?? [])].sort(byName);
    kept.set(key, all[0] as StatusObject);
    duplicates.set(key, all.slice(1));
  }
  const wanted = new Map(desired.map((d) => [d.key, d]));

  for (const d of desired) {
    const keep = kept.get(d.key);
    for (const dup of duplicates.get(d.key) ?? [])
      jobs.set(`delete:${dup.metadata.name}`, deleteJob(kind, client, namespace, dup.metadata.name!));
    if (keep === undefined) {
      const key = `create:${d.key}`;
      jobs.set(
        key,
        memo.job(key, d, () => createJob(kind, client, namespace, d)),
      );
    } else if (!kind.same(keep, d)) {
      const name = keep.metadata.name!;
      const key = `update:${name}`;
      jobs.set(
        key,
        memo.job(key, d, () => updateJob(kind, client, namespace, name, d)),
      );
    }
  }
  for (const o of mine) {
    if (!wanted.has(serviceKeyOfStatus(o)))
      jobs.set(`delete:${o.metadata.name}`, deleteJob(kind, client, namespace, o.metadata.name!));
  }
  memo.done();
  return jobs;
}

export function l2StatusJobs(
  client: KubeClient,
  namespace: string,
  node: string,
  desired: readonly DesiredL2Status[],
  observed: Iterable<StatusObject>,
  memo: StatusJobMemo = new StatusJobMemo(),
): Map<string, KeyedJob> {
  return statusJobs(L2_STATUS, client, namespace, node, desired, observed, memo);
}

export function bgpStatusJobs(
  client: KubeClient,
  namespace: string,
  node: string,
  desired: readonly DesiredBgpStatus[],
  observed: Iterable<StatusObject>,
  memo: StatusJobMemo = new StatusJobMemo(),
): Map<string, KeyedJob> {
  return statusJobs(BGP_STATUS, client, namespace, node, desired, observed, memo);
}

function createJob<D extends DesiredStatusObject>(
  kind: StatusKind<D>,
  client: KubeClient,
  namespace: string,
  d: D,
): KeyedJob {
  return {
    fingerprint: `create:${JSON.stringify(d)}`,
    run: async () => {
      const created = await client.create<KubeObject>(kind.resource, {
        metadata: {
          generateName: kind.generateName,
          namespace,
          labels: {
            [LABEL_NODE]: d.node,
            [LABEL_SERVICE_NAME]: d.serviceName,
            [LABEL_SERVICE_NAMESPACE]: d.serviceNamespace,
          },
        },
        spec: {},
      } as KubeObject);
      const status = {
        node: d.node,
        serviceName: d.serviceName,
        serviceNamespace: d.serviceNamespace,
        ...kind.mutable(d),
      };
      await client.patchStatusUnread(
        kind.resource,
        created.metadata.name!,
        namespace,
        { status },
        { type: "merge" },
      );
    },
  };
}

function updateJob<D extends DesiredStatusObject>(
  kind: StatusKind<D>,
  client: KubeClient,
  namespace: string,
  name: string,
  d: D,
): KeyedJob {
  const body = { status: kind.mutable(d) };
  return {
    fingerprint: `update:${JSON.stringify(body)}`,
    run: async () => {
      await client.patchStatusUnread(kind.resource, name, namespace, body, { type: "merge" });
    },
  };
}

function deleteJob<D extends DesiredStatusObject>(
  kind: StatusKind<D>,
  client: KubeClient,
  namespace: string,
  name: string,
): KeyedJob {
  return {
    fingerprint: `delete:${name}`,
    run: async () => {
      try {
        await client.delete(kind.resource, name, namespace);
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    },
  };
}
