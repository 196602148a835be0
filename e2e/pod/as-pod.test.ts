/**
 * A process run "as a pod" in myk8s-worker reaches the real apiserver through in-cluster
 * configuration only, with the speaker ServiceAccount's identity and RBAC, and nothing of the pod's
 * ServiceAccount files leaks to the host.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { type ClusterHandle, ensureCluster, kubectl } from "../cluster/harness.ts";
import { netDown, netDownOnSignals, netUp } from "../net/testbed.ts";
import { runAsPod } from "./as-pod.ts";

const NAMESPACE = "metallb-system";
const SERVICE_ACCOUNT = "speaker";
const SPEAKER_USER = `system:serviceaccount:${NAMESPACE}:${SERVICE_ACCOUNT}`;
// Unique per run: other tests (and the real bundle's RBAC) live in the same namespace.
const ROLE = `metalbun-aspod-configmap-reader-${Date.now().toString(36)}`;
const PROBE = join(import.meta.dir, "fixtures", "in-cluster-probe.ts");
const HOST_TOKEN = "/var/run/secrets/kubernetes.io/serviceaccount/token";

let cluster: ClusterHandle;
let hostHadSecretsDir = false;

async function kubectlOk(args: string[], stdin?: string): Promise<string> {
  const result = await kubectl(args, stdin === undefined ? undefined : { stdin });
  if (result.exitCode !== 0) throw new Error(`kubectl ${args.join(" ")}: ${result.stderr.trim()}`);
  return result.stdout;
}

/** `kubectl create`, accepting that another test made it first (objects are shared, never deleted). */
async function createIfMissing(args: string[]): Promise<void> {
  const result = await kubectl(["create", ...args]);
  if (result.exitCode !== 0 && !/already ?exists/i.test(result.stderr)) {
    throw new Error(`kubectl create ${args.join(" ")}: ${result.stderr.trim()}`);
  }
}

async function waitUntilAllowed(verb: string, resource: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    const can = await kubectl(["auth", "can-i", verb, resource, "-n", NAMESPACE, `--as=${SPEAKER_USER}`]);
    if (can.stdout.trim() === "yes") return;
    await Bun.sleep(200);
  }
  throw new Error(`RBAC never allowed ${SPEAKER_USER} to ${verb} ${resource}`);
}

beforeAll(async () => {
  netDownOnSignals();
  hostHadSecretsDir = existsSync("/var/run/secrets");
  cluster = await ensureCluster();
  await netUp({ apiserverUnixSocket: cluster.apiserverUnixSocket });
  await createIfMissing(["namespace", NAMESPACE]);
  await createIfMissing(["serviceaccount", SERVICE_ACCOUNT, "-n", NAMESPACE]);
  await kubectlOk(["create", "role", ROLE, "-n", NAMESPACE, "--verb=get,list", "--resource=configmaps"]);
  await kubectlOk([
    "create",
    "rolebinding",
    ROLE,
    "-n",
    NAMESPACE,
    `--role=${ROLE}`,
    `--serviceaccount=${NAMESPACE}:${SERVICE_ACCOUNT}`,
  ]);
  await waitUntilAllowed("list", "configmaps");
}, 600_000);

afterAll(async () => {
  await kubectl(["delete", "rolebinding,role", ROLE, "-n", NAMESPACE, "--ignore-not-found"]);
  await netDown();
});

interface Finding {
  kind: string;
  [key: string]: unknown;
}

describe("runAsPod", () => {
  test("in-cluster config reaches the apiserver as the speaker ServiceAccount, with its RBAC", async () => {
    const pod = await runAsPod({
      node: "myk8s-worker",
      serviceAccount: SERVICE_ACCOUNT,
      namespace: NAMESPACE,
      argv: [process.execPath, PROBE, `/api/v1/namespaces/${NAMESPACE}/configmaps`, "/api/v1/secrets"],
      cluster,
    });
    const code = await pod.exited;
    if (code !== 0) throw new Error(`probe exited ${code}: ${pod.stderr()}`);
    const findings = pod
      .stdout()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Finding);
    const env = findings.find((f) => f.kind === "environment")!;
    expect(env).toMatchObject({
      host: "10.96.0.1",
      port: "443",
      kubeconfig: null,
      hostname: "myk8s-worker",
      namespace: NAMESPACE,
      saDirWritable: false,
      caLooksLikePem: true,
    });
    // It runs in the node's network namespace (hostNetwork): eth0 carries the node's address.
    expect(env.ipv4).toContain("eth0:172.18.0.3");

    expect(findings.find((f) => f.kind === "whoami")).toMatchObject({ status: 201, username: SPEAKER_USER });

    const configmaps = findings.find((f) => f.path === `/api/v1/namespaces/${NAMESPACE}/configmaps`)!;
    expect(configmaps).toMatchObject({ status: 200, bodyKind: "ConfigMapList" });

    // Cluster-wide: no speaker role (ours or the bundle's) allows this.
    const secrets = findings.find((f) => f.path === "/api/v1/secrets")!;
    expect(secrets.status).toBe(403);
    expect(String(secrets.message)).toContain(`User "${SPEAKER_USER}" cannot list resource "secrets"`);
  }, 60_000);

  test("the ServiceAccount files did not leak to the host", () => {
    expect(existsSync(HOST_TOKEN)).toBe(false);
    // Not even the mount-point directories: the pod's view is an overlay in its own mount namespace.
    expect(existsSync("/var/run/secrets")).toBe(hostHadSecretsDir);
  });

  test("stop() ends a long-running pod by signal and captures its output", async () => {
    const pod = await runAsPod({
      node: "myk8s-worker2",
      serviceAccount: SERVICE_ACCOUNT,
      namespace: NAMESPACE,
      argv: ["sh", "-c", 'echo "started on $(hostname)"; echo oops >&2; exec sleep 300'],
      cluster,
    });
    const deadline = Date.now() + 5000;
    while (!pod.stdout().includes("started") && Date.now() < deadline) await Bun.sleep(50);
    expect(pod.stdout()).toBe("started on myk8s-worker2\n");
    expect(pod.stderr()).toBe("oops\n");
    expect(await pod.stop("SIGTERM")).toBe(143);
  }, 30_000);
});
