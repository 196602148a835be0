/**
 * listWatch$ against the real apiserver: the init frame over a paginated list, apply/delete events
 * for real changes, and a real 410 Gone that forces a relist.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { stringify } from "yaml";
import { KubeClient } from "../../operator/src/kube/client.ts";
import { ApiError } from "../../operator/src/kube/errors.ts";
import { type ResourceType, resources } from "../../operator/src/kube/resource.ts";
import type { KubeObject } from "../../operator/src/kube/types.ts";
import { listWatch$ } from "../../operator/src/kube/watch.ts";
import { type ClusterHandle, ensureCluster, kubectl } from "../cluster/harness.ts";
import { adminClient, freshNamespace, kubectlOk, Recorder, uniqueName, until } from "./support.ts";

type ConfigMap = KubeObject & { data?: Record<string, string> };

let cluster: ClusterHandle;
let client: KubeClient;
const recorders: Recorder<KubeObject>[] = [];
const cleanups: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  cluster = await ensureCluster();
  client = await adminClient(cluster);
}, 120_000);

afterAll(async () => {
  for (const r of recorders) r.stop();
  for (const cleanup of cleanups) await cleanup();
});

function record<T extends KubeObject>(recorder: Recorder<T>): Recorder<T> {
  recorders.push(recorder as unknown as Recorder<KubeObject>);
  return recorder;
}

/** What the apiserver holds now, as store keys, for comparing with a store. */
async function apiserverKeys(resource: ResourceType, namespace: string): Promise<string[]> {
  const list = await client.list(resource, { namespace });
  return list.items.map((i) => `${namespace}/${i.metadata.name}`).sort();
}

describe("listWatch$ on the real apiserver", () => {
  test("ConfigMaps in a fresh namespace: paginated init frame, then apply/delete for create/update/delete", async () => {
    const namespace = await freshNamespace("kube-lw");
    for (const name of ["cm-1", "cm-2", "cm-3", "cm-4", "cm-5"]) {
      await kubectlOk(["-n", namespace, "create", "configmap", name, `--from-literal=name=${name}`]);
    }
    // The same credentials, with every URL recorded, to see the pages on the wire.
    const urls: URL[] = [];
    const counting = new KubeClient(client.connection, {
      fetch: (url, init) => {
        urls.push(new URL(url));
        return fetch(url, init);
      },
    });
    const rec = record(new Recorder<ConfigMap>());
    rec.start(
      listWatch$<ConfigMap>(counting, resources.configMaps, { namespace, pageSize: 2, onRetry: rec.onRetry }),
    );
    await until(() => rec.count("initDone") === 1, "initDone");

    // 5 objects in pages of 2 (the namespace's kube-root-ca.crt would appear only with a
    // controller-manager, which this testbed does not run).
    expect(rec.trace()).toEqual([
      "init",
      "initApply cm-1",
      "initApply cm-2",
      "initApply cm-3",
      "initApply cm-4",
      "initApply cm-5",
      "initDone",
    ]);
    expect(rec.store.snapshot.synced).toBe(true);
    const lists = urls.filter((u) => !u.searchParams.has("watch"));
    expect(lists.map((u) => [u.searchParams.get("limit"), u.searchParams.has("continue")])).toEqual([
      ["2", false],
      ["2", true],
      ["2", true],
    ]);
    const initDone = rec.events.at(-1);
    expect(initDone?.type === "initDone" && initDone.resourceVersion).toBeTruthy();

    const mark = rec.events.length;
    await kubectlOk(["-n", namespace, "create", "configmap", "cm-6", "--from-literal=name=cm-6"]);
    await kubectlOk([
      "-n",
      namespace,
      "patch",
      "configmap",
      "cm-1",
      "--type=merge",
      "-p",
      '{"data":{"name":"one"}}',
    ]);
    await kubectlOk(["-n", namespace, "delete", "configmap", "cm-2"]);
    await until(() => rec.events.length >= mark + 3, "three watch events");
    expect(rec.trace(mark)).toEqual(["apply cm-6", "apply cm-1", "delete cm-2"]);
    expect(rec.store.snapshot.objects.get(`${namespace}/cm-1`)?.data).toEqual({ name: "one" });
    expect(rec.keys()).toEqual(await apiserverKeys(resources.configMaps, namespace));
    expect(rec.retries).toEqual([]);
  });

  test("label and field selectors narrow list and watch", async () => {
    const namespace = await freshNamespace("kube-sel");
    await kubectlOk(["-n", namespace, "create", "configmap", "a"]);
    await kubectlOk(["-n", namespace, "create", "configmap", "b"]);
    await kubectlOk(["-n", namespace, "label", "configmap", "a", "app=web"]);
    await kubectlOk(["-n", namespace, "label", "configmap", "b", "app=db"]);
    const byLabel = record(new Recorder<ConfigMap>()).start(
      listWatch$<ConfigMap>(client, resources.configMaps, { namespace, labelSelector: "app=web" }),
    );
    const byField = record(new Recorder<ConfigMap>()).start(
      listWatch$<ConfigMap>(client, resources.configMaps, { namespace, fieldSelector: "metadata.name=b" }),
    );
    await until(() => byLabel.store.snapshot.synced && byField.store.snapshot.synced, "both synced");
    expect(byLabel.keys()).toEqual([`${namespace}/a`]);
    expect(byField.keys()).toEqual([`${namespace}/b`]);
    await kubectlOk(["-n", namespace, "create", "configmap", "c"]);
    await kubectlOk(["-n", namespace, "label", "configmap", "c", "app=web"]);
    await until(() => byLabel.keys().length === 2, "c to match app=web");
    expect(byLabel.keys()).toEqual([`${namespace}/a`, `${namespace}/c`]);
    expect(byField.keys()).toEqual([`${namespace}/b`]);
  });

  test("forced 410: a watch from a stale resourceVersion is refused, the watcher relists and keeps delivering", async () => {
    // A custom resource made now gets its own watch cache, which starts at the current etcd
    // revision; "1" is older than anything it can serve, so the apiserver answers 410 Expired
    // ("too old resource version") every time, whatever other tests did before.
    const group = "kube-e2e.metalbun.io";
    const plural = `probes${uniqueName("x").replace(/[^a-z0-9]/g, "")}`;
    const kind = `Probe${plural.slice("probes".length)}`;
    const crdName = `${plural}.${group}`;
    await kubectlOk(
      ["apply", "-f", "-"],
      stringify({
        apiVersion: "apiextensions.k8s.io/v1",
        kind: "CustomResourceDefinition",
        metadata: { name: crdName },
        spec: {
          group,
          scope: "Namespaced",
          names: { plural, singular: plural, kind, listKind: `${kind}List` },
          versions: [
            {
              name: "v1",
              served: true,
              storage: true,
              schema: { openAPIV3Schema: { type: "object", "x-kubernetes-preserve-unknown-fields": true } },
            },
          ],
        },
      }),
    );
    cleanups.push(() => kubectl(["delete", "crd", crdName, "--wait=false"]));
    await kubectlOk(["wait", "--for=condition=Established", `crd/${crdName}`, "--timeout=60s"]);
    const probes: ResourceType = { group, version: "v1", plural, kind, namespaced: true };
    const namespace = await freshNamespace("kube-410");
    const probe = (name: string) => ({ apiVersion: `${group}/v1`, kind, metadata: { name, namespace } });
    // The new resource's discovery and storage may lag the Established condition by a moment.
    await until(
      async () =>
        await client.create(probes, probe("p-1")).then(
          () => true,
          () => false,
        ),
      "the first probe to be created",
    );
    await client.create(probes, probe("p-2"));

    const rec = record(new Recorder<KubeObject>());
    rec.start(listWatch$(client, probes, { namespace, startFromResourceVersion: "1", onRetry: rec.onRetry }));
    await until(() => rec.store.snapshot.synced, "the relist after 410");

    const gone = rec.retries[0];
    expect(gone?.relist).toBe(true);
    expect(gone?.error).toBeInstanceOf(ApiError);
    expect(gone?.error).toMatchObject({ status: 410, reason: "Expired" });
    expect((gone!.error as Error).message).toMatch(/too old resource version/);
    expect(rec.trace()).toEqual(["init", "initApply p-1", "initApply p-2", "initDone"]);

    // And it goes on watching from the fresh list.
    await client.create(probes, probe("p-3"));
    await client.delete(probes, "p-1", namespace);
    await until(() => rec.events.length >= 6, "events after the relist");
    expect(rec.trace(4)).toEqual(["apply p-3", "delete p-1"]);
    expect(rec.keys()).toEqual([`${namespace}/p-2`, `${namespace}/p-3`]);
    expect(rec.keys()).toEqual(await apiserverKeys(probes, namespace));
    expect(rec.retries).toHaveLength(1);
  });
});
