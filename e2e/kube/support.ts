/**
 * Helpers shared by the kube/ e2e tests: unique names (the cluster is shared and namespaces are
 * never reclaimed: there is no namespace controller), kubectl that throws, polling, and a
 * collector that records what a listWatch$ subscription delivers.
 */
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Observable, Subscription } from "rxjs";
import { KubeClient } from "../../operator/src/kube/client.ts";
import { resolveConnection } from "../../operator/src/kube/config.ts";
import type { ResourceType } from "../../operator/src/kube/resource.ts";
import { Reflector } from "../../operator/src/kube/store.ts";
import type { KubeObject } from "../../operator/src/kube/types.ts";
import type { RetryInfo, WatchEvent } from "../../operator/src/kube/watch.ts";
import { type ClusterHandle, kubectl } from "../cluster/harness.ts";

const RUN_ID = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

/** A DNS-label name unique to this run. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${RUN_ID}`;
}

export async function kubectlOk(args: string[], stdin?: string): Promise<string> {
  const result = await kubectl(args, stdin === undefined ? {} : { stdin });
  if (result.exitCode !== 0) throw new Error(`kubectl ${args.join(" ")} failed: ${result.stderr.trim()}`);
  return result.stdout;
}

export async function freshNamespace(prefix: string): Promise<string> {
  const name = uniqueName(prefix);
  await kubectlOk(["create", "namespace", name]);
  return name;
}

export async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await Bun.sleep(50);
  }
}

/** A client with the admin kubeconfig (client-certificate auth). */
export async function adminClient(cluster: ClusterHandle): Promise<KubeClient> {
  return new KubeClient(await resolveConnection({ env: { KUBECONFIG: cluster.kubeconfig } }));
}

/**
 * A ServiceAccount in `namespace` allowed to get/list/watch/create/update/delete ConfigMaps there,
 * and a fresh bound token for it (`kubectl create token`). Waits until RBAC lets it list.
 */
export async function serviceAccountWithConfigMapAccess(namespace: string, name: string): Promise<string> {
  await kubectlOk(["-n", namespace, "create", "serviceaccount", name]);
  await kubectlOk([
    "-n",
    namespace,
    "create",
    "role",
    name,
    "--verb=get,list,watch,create,update,patch,delete",
    "--resource=configmaps",
  ]);
  await kubectlOk([
    "-n",
    namespace,
    "create",
    "rolebinding",
    name,
    `--role=${name}`,
    `--serviceaccount=${namespace}:${name}`,
  ]);
  const user = `system:serviceaccount:${namespace}:${name}`;
  await until(
    async () =>
      (await kubectl(["auth", "can-i", "list", "configmaps", "-n", namespace, `--as=${user}`])).exitCode ===
      0,
    `RBAC to allow ${user}`,
  );
  return (await kubectlOk(["-n", namespace, "create", "token", name, "--duration=1h"])).trim();
}

/** A directory laid out like /var/run/secrets/kubernetes.io/serviceaccount. */
export async function serviceAccountDir(token: string, caPem: string, namespace: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "metalbun-sa-"));
  await writeFile(join(dir, "token"), token);
  await writeFile(join(dir, "ca.crt"), caPem);
  await writeFile(join(dir, "namespace"), namespace);
  return dir;
}

export const selfSubjectReviews: ResourceType = {
  group: "authentication.k8s.io",
  version: "v1",
  plural: "selfsubjectreviews",
  kind: "SelfSubjectReview",
  namespaced: false,
};

/** The username the apiserver sees for this client (SelfSubjectReview, GA since 1.28). */
export async function whoAmI(client: KubeClient): Promise<string | undefined> {
  const review = await client.create<KubeObject & { status?: { userInfo?: { username?: string } } }>(
    selfSubjectReviews,
    { metadata: {} },
  );
  return review.status?.userInfo?.username;
}

/** Records everything one listWatch$ subscription delivers, with a store fed by it. */
export class Recorder<T extends KubeObject> {
  readonly events: WatchEvent<T>[] = [];
  readonly retries: RetryInfo[] = [];
  readonly store = new Reflector<T>();
  private subscription?: Subscription;

  readonly onRetry = (info: RetryInfo) => {
    this.retries.push(info);
  };

  start(events$: Observable<WatchEvent<T>>): this {
    this.subscription = events$.subscribe((event) => {
      this.events.push(event);
      this.store.apply(event);
    });
    return this;
  }

  stop(): void {
    this.subscription?.unsubscribe();
  }

  count(type: WatchEvent<T>["type"]): number {
    return this.events.filter((e) => e.type === type).length;
  }

  /** Sorted store keys. */
  keys(): string[] {
    return [...this.store.snapshot.objects.keys()].sort();
  }

  /** "type name" lines of the events after index `from`. */
  trace(from = 0): string[] {
    return this.events
      .slice(from)
      .map((e) => ("object" in e ? `${e.type} ${e.object.metadata.name}` : e.type));
  }
}
