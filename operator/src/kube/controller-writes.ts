/**
 * The controller's writes, each as a KeyedJob for the KeyedWriter: a Service's status and pool
 * annotation, an IPAddressPool's status counters, the `controller` ConfigurationState. The
 * decisions come from domain/controller; this only says how each lands on the apiserver.
 */

import type { PoolCounters } from "../domain/allocator/decision.ts";
import { IP_ALLOCATED_FROM_POOL } from "../domain/api/annotations.ts";
import type { ConfigurationStateStatus } from "../domain/api/configuration-state.ts";
import { LABEL_COMPONENT_TYPE } from "../domain/api/labels.ts";
import type { PendingWrite } from "../domain/controller/reconcile.ts";
import type { KubeClient } from "./client.ts";
import { ApiError, isAlreadyExists, isNotFound } from "./errors.ts";
import type { KeyedJob } from "./keyed-writer.ts";
import { resources } from "./resource.ts";

/**
 * Status and annotation in one PATCH of the status subresource (the apiserver takes metadata
 * changes there too), so one request per Service. `metadata.uid` in a merge patch is a
 * precondition: a Service deleted and recreated under the same name answers 409, and the next
 * reconcile decides for the new object.
 */
export function serviceWriteJob(client: KubeClient, pending: PendingWrite): KeyedJob {
  const { write } = pending;
  const patch = {
    metadata: {
      ...(pending.uid && { uid: pending.uid }),
      annotations: {
        [IP_ALLOCATED_FROM_POOL.current]: write.allocatedFromPool ?? null,
        [IP_ALLOCATED_FROM_POOL.legacy]: null,
      },
    },
    status: {
      loadBalancer: {
        ingress: write.ingressIPs.length === 0 ? null : write.ingressIPs.map((ip) => ({ ip })),
      },
    },
  };
  return {
    fingerprint: JSON.stringify(patch),
    run: async () => {
      await client.patchStatusUnread(resources.services, pending.name, pending.namespace, patch, {
        type: "merge",
      });
    },
  };
}

export function poolStatusJob(
  client: KubeClient,
  namespace: string,
  pool: string,
  counters: PoolCounters,
): KeyedJob {
  const patch = { status: counters };
  return {
    fingerprint: JSON.stringify(patch),
    run: async () => {
      await client.patchStatus(resources.ipAddressPools, pool, namespace, patch, { type: "merge" });
    },
  };
}

/** Creates the object when missing (it has no spec to speak of), then sets its status. */
export function configurationStateJob(
  client: KubeClient,
  namespace: string,
  name: string,
  labels: Record<string, string>,
  status: ConfigurationStateStatus,
): KeyedJob {
  const patch = { status };
  return {
    fingerprint: JSON.stringify(patch),
    run: async () => {
      try {
        await client.patchStatus(resources.configurationStates, name, namespace, patch, { type: "merge" });
        return;
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
      try {
        await client.create(resources.configurationStates, {
          metadata: { name, namespace, labels },
          spec: {},
        });
      } catch (error) {
        if (!isAlreadyExists(error)) throw error;
      }
      await client.patchStatus(resources.configurationStates, name, namespace, patch, { type: "merge" });
    },
  };
}

export function controllerStateLabels(): Record<string, string> {
  return { [LABEL_COMPONENT_TYPE]: "controller" };
}

/** 404 (gone), 409 (replaced: uid precondition), 422 (refused as invalid) are not fixed by retrying the same write. */
export function isTerminalWriteError(error: unknown): boolean {
  return error instanceof ApiError && (error.status === 404 || error.status === 409 || error.status === 422);
}
