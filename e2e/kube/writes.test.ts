/**
 * The writes the controller and speaker will make, against the real apiserver: server-side apply
 * of Service status as field manager "metalbun", Events that `kubectl describe` shows, Secrets
 * fetched or created once, and the error values callers branch on.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import type { KubeClient } from "../../operator/src/kube/client.ts";
import { isAlreadyExists, isConflict, isNotFound } from "../../operator/src/kube/errors.ts";
import { createEvent } from "../../operator/src/kube/events.ts";
import { resources } from "../../operator/src/kube/resource.ts";
import { getOrCreateSecret, secretValues } from "../../operator/src/kube/secrets.ts";
import type { KubeObject } from "../../operator/src/kube/types.ts";
import { type ClusterHandle, ensureCluster } from "../cluster/harness.ts";
import { adminClient, freshNamespace, kubectlOk } from "./support.ts";

interface Service extends KubeObject {
  spec?: { type?: string; ports?: { port: number }[] };
  status?: { loadBalancer?: { ingress?: { ip?: string; ipMode?: string }[] } };
}
type ManagedField = { manager?: string; operation?: string; subresource?: string };

let cluster: ClusterHandle;
let client: KubeClient;
let namespace: string;

beforeAll(async () => {
  cluster = await ensureCluster();
  client = await adminClient(cluster);
  namespace = await freshNamespace("kube-writes");
}, 120_000);

async function loadBalancer(name: string): Promise<Service> {
  return client.create<Service>(resources.services, {
    metadata: { name, namespace },
    spec: { type: "LoadBalancer", ports: [{ port: 80 }] },
  });
}

async function ingressIps(name: string): Promise<string> {
  return kubectlOk([
    "-n",
    namespace,
    "get",
    "svc",
    name,
    "-o",
    "jsonpath={.status.loadBalancer.ingress[*].ip}",
  ]);
}

describe("writes on the real apiserver", () => {
  test("server-side apply of Service status: set, change and release our ingress as 'metalbun'", async () => {
    await loadBalancer("web");
    const status = (ips: string[]) => ({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "web", namespace },
      status: { loadBalancer: ips.length ? { ingress: ips.map((ip) => ({ ip })) } : {} },
    });
    const applied = await client.applyStatus<Service>(resources.services, status(["172.18.0.200"]), {
      force: true,
    });
    // (The apiserver defaults ipMode to "VIP" on each ingress entry since Kubernetes 1.30.)
    expect(applied.status?.loadBalancer?.ingress).toEqual([{ ip: "172.18.0.200", ipMode: "VIP" }]);
    expect(await ingressIps("web")).toBe("172.18.0.200");
    const owner = (applied.metadata.managedFields as ManagedField[]).find((f) => f.manager === "metalbun");
    expect(owner).toMatchObject({ operation: "Apply", subresource: "status" });

    await client.applyStatus(resources.services, status(["172.18.0.201", "fc00:f853:ccd:e799::1"]), {
      force: true,
    });
    expect(await ingressIps("web")).toBe("172.18.0.201 fc00:f853:ccd:e799::1");

    // Applying without the field we owned removes it (SSA: fields a manager stops applying are dropped).
    await client.applyStatus(resources.services, status([]), { force: true });
    expect(await ingressIps("web")).toBe("");
  });

  test("patchStatus (merge) and updateStatus (PUT with resourceVersion) write the status subresource", async () => {
    const svc = await loadBalancer("api");
    await client.patchStatus(
      resources.services,
      "api",
      namespace,
      { status: { loadBalancer: { ingress: [{ ip: "172.18.0.210" }] } } },
      { type: "merge" },
    );
    expect(await ingressIps("api")).toBe("172.18.0.210");
    const current = await client.get<Service>(resources.services, "api", namespace);
    await client.updateStatus<Service>(resources.services, {
      ...current,
      status: { loadBalancer: { ingress: [{ ip: "172.18.0.211" }] } },
    });
    expect(await ingressIps("api")).toBe("172.18.0.211");
    // The first object's resourceVersion is stale now: optimistic concurrency says 409 Conflict.
    const stale = await client
      .updateStatus<Service>(resources.services, { ...svc, status: { loadBalancer: {} } })
      .catch((e) => e);
    expect(isConflict(stale)).toBe(true);
  });

  test("an Event about a Service shows in `kubectl describe svc`", async () => {
    const svc = await loadBalancer("described");
    const message = `Assigned IP ["172.18.0.220"] ${Date.now()}`;
    await createEvent(client, {
      about: svc,
      type: "Normal",
      reason: "IPAllocated",
      message,
      component: "metallb-controller",
    });
    const described = await kubectlOk(["-n", namespace, "describe", "svc", "described"]);
    expect(described).toMatch(/Events:/);
    expect(described).toContain("IPAllocated");
    expect(described).toContain(message);
    expect(described).toContain("metallb-controller");
  });

  test("getOrCreateSecret creates once; racing callers all get the same Secret", async () => {
    let made = 0;
    const makeKey = () => {
      made++;
      return { secretkey: crypto.getRandomValues(new Uint8Array(16)) };
    };
    const racers = await Promise.all(
      Array.from({ length: 5 }, () => getOrCreateSecret(client, namespace, "memberlist", makeKey)),
    );
    const keys = racers.map((s) => secretValues(s).secretkey?.toString("hex"));
    expect(new Set(keys).size).toBe(1);
    expect(keys[0]).toHaveLength(32);
    expect(made).toBeGreaterThanOrEqual(1);
    const again = await getOrCreateSecret(client, namespace, "memberlist", makeKey);
    expect(secretValues(again).secretkey?.toString("hex")).toBe(keys[0]);
    expect(again.type).toBe("Opaque");
  });

  test("NotFound and AlreadyExists are recognisable values", async () => {
    expect(isNotFound(await client.get(resources.secrets, "absent", namespace).catch((e) => e))).toBe(true);
    await client.create(resources.configMaps, { metadata: { name: "dup", namespace } });
    const duplicate = await client
      .create(resources.configMaps, { metadata: { name: "dup", namespace } })
      .catch((e) => e);
    expect(isAlreadyExists(duplicate)).toBe(true);
    const deleted = await client.delete(resources.configMaps, "dup", namespace);
    expect(deleted).toBeTruthy();
    expect(isNotFound(await client.delete(resources.configMaps, "dup", namespace).catch((e) => e))).toBe(
      true,
    );
  });

  test("merge, strategic and JSON patches, and server-side apply of a whole object", async () => {
    const applied = await client.apply(resources.configMaps, {
      metadata: { name: "patched", namespace },
      data: { a: "1" },
    } as KubeObject);
    const managersOf = (o: KubeObject) =>
      (o.metadata.managedFields as ManagedField[]).map((f) => `${f.manager}/${f.operation}`);
    expect(managersOf(applied)).toEqual(["metalbun/Apply"]);
    await client.patch(resources.configMaps, "patched", namespace, { data: { b: "2" } }, { type: "merge" });
    await client.patch(
      resources.configMaps,
      "patched",
      namespace,
      { metadata: { labels: { x: "y" } } },
      {
        type: "strategic",
      },
    );
    await client.patch(resources.configMaps, "patched", namespace, [{ op: "remove", path: "/data/a" }], {
      type: "json",
    });
    const cm = await client.get<KubeObject & { data?: Record<string, string> }>(
      resources.configMaps,
      "patched",
      namespace,
    );
    expect(cm.data).toEqual({ b: "2" });
    expect(cm.metadata.labels).toEqual({ x: "y" });
    // Patches are "Update" operations of the same manager; removing data.a left the Apply entry
    // owning nothing, so the apiserver dropped it.
    expect(managersOf(cm)).toEqual(["metalbun/Update"]);
  });
});
