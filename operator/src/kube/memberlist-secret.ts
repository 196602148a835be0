/**
 * MetalLB's controller creates the `memberlist` Secret (the speakers' shared key) when it is
 * missing, owned by its Deployment so that uninstalling removes it.
 */
import { randomBytes } from "node:crypto";
import type { KubeClient } from "./client.ts";
import { isNotFound } from "./errors.ts";
import { getOrCreateSecret } from "./secrets.ts";
import type { KubeObject } from "./types.ts";

type LogFn = (fields: Record<string, unknown>, msg: string) => void;

export async function ensureMemberlistSecret(
  client: KubeClient,
  namespace: string,
  secretName: string,
  deployment: string,
  log: { info: LogFn },
): Promise<void> {
  let owner: KubeObject | undefined;
  try {
    owner = await client.get<KubeObject>(
      { group: "apps", version: "v1", plural: "deployments", kind: "Deployment", namespaced: true },
      deployment,
      namespace,
    );
  } catch (error) {
    if (!isNotFound(error)) throw error;
    log.info({ op: "memberlist", deployment }, "controller Deployment not found; Secret gets no owner");
  }
  const ownerReferences = owner?.metadata.uid
    ? [{ apiVersion: "apps/v1", kind: "Deployment", name: deployment, uid: owner.metadata.uid }]
    : undefined;
  await getOrCreateSecret(
    client,
    namespace,
    secretName,
    () => ({ secretkey: randomBytes(16).toString("base64") }),
    "Opaque",
    ownerReferences,
  );
}
