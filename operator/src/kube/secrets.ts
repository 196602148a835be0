import type { KubeClient } from "./client.ts";
import { isAlreadyExists, isNotFound } from "./errors.ts";
import { resources } from "./resource.ts";
import type { KubeObject } from "./types.ts";

export interface Secret extends KubeObject {
  type?: string;
  /** base64 values, as the API stores them. */
  data?: Record<string, string>;
}

export function getSecret(client: KubeClient, namespace: string, name: string): Promise<Secret> {
  return client.get<Secret>(resources.secrets, name, namespace);
}

/** Decoded values of a Secret's `data`. */
export function secretValues(secret: Secret): Record<string, Buffer> {
  const values: Record<string, Buffer> = {};
  for (const [key, value] of Object.entries(secret.data ?? {})) values[key] = Buffer.from(value, "base64");
  return values;
}

/**
 * The Secret `namespace/name`, created with `makeData()` when it does not exist (e.g. the
 * memberlist key MetalLB's controller generates). Two creators racing both end with the winner's
 * Secret: the loser's AlreadyExists is answered by reading it.
 */
export async function getOrCreateSecret(
  client: KubeClient,
  namespace: string,
  name: string,
  makeData: () => Record<string, Uint8Array | string>,
  type = "Opaque",
  ownerReferences?: KubeObject["metadata"]["ownerReferences"],
): Promise<Secret> {
  try {
    return await getSecret(client, namespace, name);
  } catch (error) {
    if (!isNotFound(error)) throw error;
  }
  const data: Record<string, string> = {};
  for (const [key, value] of Object.entries(makeData())) data[key] = Buffer.from(value).toString("base64");
  try {
    return await client.create<Secret>(resources.secrets, {
      metadata: { name, namespace, ...(ownerReferences && { ownerReferences }) },
      type,
      data,
    });
  } catch (error) {
    if (isAlreadyExists(error)) return getSecret(client, namespace, name);
    throw error;
  }
}
