/**
 * The client layer reaches the real apiserver three ways: the admin kubeconfig (client
 * certificates), a kubeconfig holding a ServiceAccount bearer token, and in-cluster settings
 * (KUBERNETES_SERVICE_HOST/PORT + a ServiceAccount directory). Each one lists and watches.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { KubeClient } from "../../operator/src/kube/client.ts";
import { resolveConnection } from "../../operator/src/kube/config.ts";
import { ApiError } from "../../operator/src/kube/errors.ts";
import { resources } from "../../operator/src/kube/resource.ts";
import type { KubeObject } from "../../operator/src/kube/types.ts";
import { listWatch$ } from "../../operator/src/kube/watch.ts";
import { type ClusterHandle, ensureCluster, kubectl } from "../cluster/harness.ts";
import {
  freshNamespace,
  kubectlOk,
  Recorder,
  serviceAccountDir,
  serviceAccountWithConfigMapAccess,
  uniqueName,
  until,
  whoAmI,
} from "./support.ts";

let cluster: ClusterHandle;
let namespace: string;
let token: string;
const SA = "watcher";
const recorders: Recorder<KubeObject>[] = [];

beforeAll(async () => {
  cluster = await ensureCluster();
  namespace = await freshNamespace("kube-connect");
  token = await serviceAccountWithConfigMapAccess(namespace, SA);
  await kubectlOk(["-n", namespace, "create", "configmap", "seed", "--from-literal=k=v"]);
}, 120_000);

afterAll(() => {
  for (const r of recorders) r.stop();
});

/** Lists the namespace's ConfigMaps through `client`, then proves a watch delivers a new one. */
async function listAndWatch(client: KubeClient, label: string): Promise<void> {
  const list = await client.list(resources.configMaps, { namespace });
  expect(list.items.map((i) => i.metadata.name)).toContain("seed");

  const recorder = new Recorder<KubeObject>().start(listWatch$(client, resources.configMaps, { namespace }));
  recorders.push(recorder);
  await until(() => recorder.store.snapshot.synced, `${label}: initDone`);
  expect(recorder.keys()).toContain(`${namespace}/seed`);
  const name = uniqueName(label);
  await kubectlOk(["-n", namespace, "create", "configmap", name, "--from-literal=via=kubectl"]);
  await until(
    () => recorder.store.snapshot.objects.has(`${namespace}/${name}`),
    `${label}: watch event for ${name}`,
  );
  recorder.stop();
}

describe("connecting to the real apiserver", () => {
  test("admin kubeconfig with client certificates: list and watch", async () => {
    const connection = await resolveConnection({ env: { KUBECONFIG: cluster.kubeconfig } });
    expect(connection.source).toBe("kubeconfig");
    expect(connection.tls.cert).toContain("BEGIN CERTIFICATE");
    expect(connection.token).toBeUndefined();
    const client = new KubeClient(connection);
    expect(await whoAmI(client)).toBe("kubernetes-admin");
    await listAndWatch(client, "admin");
  });

  test("kubeconfig with a ServiceAccount bearer token and CA: list and watch, with that identity", async () => {
    const path = join(tmpdir(), `${uniqueName("token")}.kubeconfig`);
    await writeFile(
      path,
      stringify({
        apiVersion: "v1",
        kind: "Config",
        "current-context": "sa",
        clusters: [
          { name: "testbed", cluster: { server: cluster.server, "certificate-authority": cluster.caFile } },
        ],
        users: [{ name: SA, user: { token } }],
        contexts: [{ name: "sa", context: { cluster: "testbed", user: SA, namespace } }],
      }),
    );
    const connection = await resolveConnection({ env: { KUBECONFIG: path } });
    expect(connection.tls.cert).toBeUndefined();
    const client = new KubeClient(connection);
    expect(await whoAmI(client)).toBe(`system:serviceaccount:${namespace}:${SA}`);
    await listAndWatch(client, "token");

    // The token is what authenticates: outside its Role the apiserver says 403 Forbidden.
    const denied = await client.list(resources.configMaps, { namespace: "kube-system" }).catch((e) => e);
    expect(denied).toBeInstanceOf(ApiError);
    expect(denied).toMatchObject({ status: 403, reason: "Forbidden" });
  });

  test("a wrong token is a 401 ApiError, not a hang or a plain object", async () => {
    const client = new KubeClient({
      ...(await resolveConnection({ env: { KUBECONFIG: cluster.kubeconfig } })),
      tls: { ca: await readFile(cluster.caFile, "utf8"), rejectUnauthorized: true },
      token: { current: async () => "not-a-token", invalidate: () => {} },
    });
    const error = await client.list(resources.configMaps, { namespace }).catch((e) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 401, reason: "Unauthorized" });
  });

  test("in-cluster mode: KUBERNETES_SERVICE_HOST/PORT and a ServiceAccount directory", async () => {
    const dir = await serviceAccountDir(token, await readFile(cluster.caFile, "utf8"), namespace);
    const env = {
      KUBERNETES_SERVICE_HOST: "127.0.0.1",
      KUBERNETES_SERVICE_PORT: new URL(cluster.server).port,
      METALBUN_SERVICEACCOUNT_DIR: dir,
    };
    const connection = await resolveConnection({ env });
    expect(connection).toMatchObject({ source: "in-cluster", server: cluster.server, namespace });
    const client = new KubeClient(connection);
    expect(await whoAmI(client)).toBe(`system:serviceaccount:${namespace}:${SA}`);
    await listAndWatch(client, "in-cluster");

    // A rotated token file is picked up: write a new token, invalidate as a 401 would, and the
    // apiserver sees the new one (a different token for the same account still authenticates).
    const rotated = (await kubectlOk(["-n", namespace, "create", "token", SA, "--duration=2h"])).trim();
    expect(rotated).not.toBe(token);
    await writeFile(join(dir, "token"), rotated);
    connection.token?.invalidate();
    expect(await connection.token?.current()).toBe(rotated);
    expect(await whoAmI(client)).toBe(`system:serviceaccount:${namespace}:${SA}`);
  });

  test("in-cluster mode with an unreadable token directory fails at startup with the path", async () => {
    const error = await resolveConnection({
      env: { KUBERNETES_SERVICE_HOST: "127.0.0.1", KUBERNETES_SERVICE_PORT: "16443" },
      serviceAccountDir: "/nonexistent/metalbun-sa",
    }).catch((e) => e);
    expect((error as Error).message).toContain("/nonexistent/metalbun-sa");
    // Sanity: kubectl still reaches the cluster, so the failure above is ours to report.
    expect((await kubectl(["get", "--raw", "/readyz"])).exitCode).toBe(0);
  });
});
