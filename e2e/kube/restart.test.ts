/**
 * An apiserver restart in the middle of a watch (etcd keeps the data, as in a control-plane
 * upgrade): the watcher notices the broken stream, backs off while the apiserver is away, comes
 * back (resuming, or relisting if its resourceVersion fell out of the new watch cache's window),
 * and its store converges on what the apiserver holds.
 *
 * The cluster is shared with other tests: the restart is short, and the test leaves the apiserver
 * ready (/readyz) whatever happens.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import type { KubeClient } from "../../operator/src/kube/client.ts";
import { type ResourceType, resources } from "../../operator/src/kube/resource.ts";
import type { KubeObject } from "../../operator/src/kube/types.ts";
import { listWatch$ } from "../../operator/src/kube/watch.ts";
import { type ClusterHandle, ensureCluster, restartApiserver } from "../cluster/harness.ts";
import { adminClient, freshNamespace, kubectlOk, Recorder, until } from "./support.ts";

type ConfigMap = KubeObject & { data?: Record<string, string> };

let cluster: ClusterHandle;
let client: KubeClient;
let recorder: Recorder<ConfigMap> | undefined;

const leaseResource: ResourceType = {
  group: "coordination.k8s.io",
  version: "v1",
  plural: "leases",
  kind: "Lease",
  namespaced: true,
};

/** holderIdentity of the apiserver identity Lease(s): new for every apiserver process start. */
async function apiserverIdentity(): Promise<string> {
  const leases = await client.list<KubeObject & { spec?: { holderIdentity?: string } }>(leaseResource, {
    namespace: "kube-system",
    labelSelector: "apiserver.kubernetes.io/identity=kube-apiserver",
  });
  return leases.items
    .map((l) => l.spec?.holderIdentity ?? "")
    .sort()
    .join(",");
}

beforeAll(async () => {
  cluster = await ensureCluster();
  client = await adminClient(cluster);
}, 120_000);

afterAll(async () => {
  recorder?.stop();
  await ensureCluster(); // waits for /readyz, restarting the apiserver if the test left it down
}, 180_000);

test("apiserver restart mid-watch: changes made after it are delivered and the store converges", async () => {
  const namespace = await freshNamespace("kube-restart");
  await kubectlOk(["-n", namespace, "create", "configmap", "before-1", "--from-literal=v=1"]);
  await kubectlOk(["-n", namespace, "create", "configmap", "before-2", "--from-literal=v=1"]);

  const rec = new Recorder<ConfigMap>();
  recorder = rec;
  rec.start(
    listWatch$<ConfigMap>(client, resources.configMaps, {
      namespace,
      // Short waits so the test does not idle; the policy is the same as in production.
      backoff: { initialMs: 100, maxMs: 2000 },
      onRetry: rec.onRetry,
    }),
  );
  await until(() => rec.store.snapshot.synced, "initial sync");
  await kubectlOk(["-n", namespace, "create", "configmap", "during-watch"]);
  await until(() => rec.store.snapshot.objects.has(`${namespace}/during-watch`), "event before the restart");
  expect(rec.retries).toEqual([]);

  const before = await apiserverIdentity();
  await restartApiserver(); // returns once the new apiserver answers /readyz
  // Precondition, checked rather than assumed: a new apiserver process now serves (each process
  // writes its own identity into its kube-system Lease).
  await until(
    async () => (await apiserverIdentity()) !== before,
    "a new apiserver identity after restartApiserver() (a timeout here means the harness did not replace the serving kube-apiserver process)",
    30_000,
  );

  await kubectlOk(["-n", namespace, "create", "configmap", "after-1", "--from-literal=v=1"]);
  await kubectlOk([
    "-n",
    namespace,
    "patch",
    "configmap",
    "before-1",
    "--type=merge",
    "-p",
    '{"data":{"v":"2"}}',
  ]);
  await kubectlOk(["-n", namespace, "delete", "configmap", "before-2"]);

  const expected = [`${namespace}/after-1`, `${namespace}/before-1`, `${namespace}/during-watch`];
  await until(
    () =>
      JSON.stringify(rec.keys()) === JSON.stringify(expected) &&
      rec.store.snapshot.objects.get(`${namespace}/before-1`)?.data?.v === "2",
    "the store to converge after the restart",
    60_000,
  );
  const onServer = await client.list<ConfigMap>(resources.configMaps, { namespace });
  expect(rec.keys()).toEqual(onServer.items.map((i) => `${namespace}/${i.metadata.name}`).sort());
  // The broken stream was noticed and retried; every retry waited a positive backoff except a
  // first 410 relist, which is immediate.
  expect(rec.retries.length).toBeGreaterThan(0);
  for (const retry of rec.retries) {
    if (!retry.relist) expect(retry.delayMs).toBeGreaterThan(0);
  }
  const relisted = rec.count("initDone") > 1;
  console.log(
    `restart: ${rec.retries.length} retries (${rec.retries.map((r) => `${r.delayMs}ms${r.relist ? " relist" : ""}`).join(", ")}); relisted=${relisted}`,
  );
}, 180_000);
