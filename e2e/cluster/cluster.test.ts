/**
 * The testbed cluster itself: it starts from cold (no state: new PKI, empty etcd) and from warm
 * (already running: nothing restarts), `cluster env` prints usable export lines, RBAC and
 * ServiceAccount tokens work, and dual-stack Services can be created.
 */
import { describe, expect, test } from "bun:test";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { ensureCluster, kubectl, stopCluster } from "./harness.ts";
import { clusterFiles } from "./paths.ts";

const CLI = join(import.meta.dir, "cli.ts");

function apiserverPid(): string {
  return readFileSync(join(clusterFiles.pids, "kube-apiserver.pid"), "utf8");
}

describe("testbed cluster", () => {
  test("starts from cold: no state directory, then /readyz within a minute", async () => {
    await stopCluster();
    expect(existsSync(clusterFiles.dir)).toBe(false);
    const started = performance.now();
    const h = await ensureCluster();
    const seconds = (performance.now() - started) / 1000;
    console.error(`cold cluster start: ${seconds.toFixed(1)} s`);
    expect(seconds).toBeLessThan(60);
    expect(existsSync(h.kubeconfig)).toBe(true);
    const version = await kubectl(["version", "-o", "json"]);
    expect(JSON.parse(version.stdout).serverVersion.gitVersion).toBe("v1.37.2");
  }, 120_000);

  test("starts from warm: a second ensureCluster reuses the running apiserver", async () => {
    await ensureCluster();
    const pid = apiserverPid();
    await ensureCluster();
    expect(apiserverPid()).toBe(pid);
  }, 60_000);

  test("`bun run cluster env` prints KUBECONFIG and the pinned kubectl's directory", async () => {
    const proc = Bun.spawn(["bun", CLI, "env"], { stdout: "pipe", stderr: "pipe" });
    const out = await new Response(proc.stdout).text();
    expect(await proc.exited).toBe(0);
    const h = await ensureCluster();
    expect(out).toContain(`export KUBECONFIG=${h.kubeconfig}\n`);
    expect(out).toContain(`export PATH=${h.binDir}:$PATH\n`);
    expect(existsSync(join(h.binDir, "kubectl"))).toBe(true);
  });

  test("RBAC is on and ServiceAccount tokens authenticate", async () => {
    const ns = `cluster-test-${Date.now().toString(36)}`;
    expect((await kubectl(["create", "namespace", ns])).exitCode).toBe(0);
    expect((await kubectl(["create", "serviceaccount", "probe", "-n", ns])).exitCode).toBe(0);
    const token = (await kubectl(["create", "token", "probe", "-n", ns])).stdout.trim();
    expect(token.split(".")).toHaveLength(3);
    const h = await ensureCluster();
    const res = await fetch(`${h.server}/api/v1/namespaces/${ns}/secrets`, {
      headers: { authorization: `Bearer ${token}` },
      tls: { ca: Bun.file(h.caFile) },
    });
    expect(res.status).toBe(403);
    expect(((await res.json()) as { message: string }).message).toContain(
      `system:serviceaccount:${ns}:probe`,
    );
  });

  test("dual-stack Services get a ClusterIP of each family", async () => {
    const ns = `cluster-ds-${Date.now().toString(36)}`;
    await kubectl(["create", "namespace", ns]);
    const svc = {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "dual", namespace: ns },
      spec: {
        type: "LoadBalancer",
        ipFamilyPolicy: "RequireDualStack",
        ipFamilies: ["IPv6", "IPv4"],
        selector: { app: "x" },
        ports: [{ port: 80 }],
      },
    };
    const r = await kubectl(["create", "-o", "json", "-f", "-"], { stdin: JSON.stringify(svc) });
    expect(r.exitCode).toBe(0);
    const created = JSON.parse(r.stdout) as { spec: { clusterIPs: string[] } };
    expect(created.spec.clusterIPs).toHaveLength(2);
    expect(created.spec.clusterIPs[0]).toStartWith("fd00:10:96::");
    expect(created.spec.clusterIPs[1]).toStartWith("10.96.");
  });
});
