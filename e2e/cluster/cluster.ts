/**
 * The testbed cluster: etcd + kube-apiserver (built by build-binaries.sh) on host loopback, plus a
 * unix-socket forwarder so processes inside network namespaces can reach the apiserver without any
 * route into the host namespace (a unix socket is a file, not bound to a network namespace).
 *
 * No kubelet, no controller-manager: tests create Node objects and EndpointSlices themselves.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ClusterHandle } from "./harness.ts";
import { withLock } from "./lock.ts";
import {
  APISERVER_PORT,
  APISERVER_URL,
  CONTROL_PLANE_IP,
  clusterFiles,
  ETCD_CLIENT_PORT,
  ETCD_PEER_PORT,
  SERVICE_CIDRS,
  STATE_ROOT,
} from "./paths.ts";
import { ensurePki } from "./pki.ts";
import { livePid, type RunResult, run, startDaemon, stopDaemon } from "./process.ts";

const BUILD_SCRIPT = join(import.meta.dir, "build-binaries.sh");
const ISSUER = "https://kubernetes.default.svc.cluster.local";

let cachedBinDir: string | undefined;

/** Builds (first time) or finds the pinned kube-apiserver, kubectl and etcd. */
export async function binDir(): Promise<string> {
  if (cachedBinDir) return cachedBinDir;
  const proc = Bun.spawn(["bash", BUILD_SCRIPT], { stdout: "pipe", stderr: "inherit" });
  const out = (await new Response(proc.stdout).text()).trim();
  if ((await proc.exited) !== 0) throw new Error(`${BUILD_SCRIPT} failed`);
  cachedBinDir = out.split("\n").at(-1)!;
  return cachedBinDir;
}

function handle(bin: string): ClusterHandle {
  return {
    kubeconfig: clusterFiles.kubeconfig,
    server: APISERVER_URL,
    caFile: clusterFiles.caCert,
    binDir: bin,
    apiserverUnixSocket: clusterFiles.apiserverSocket,
  };
}

function writeKubeconfig(): void {
  const yaml = `apiVersion: v1
kind: Config
clusters:
- name: metalbun-testbed
  cluster:
    server: ${APISERVER_URL}
    certificate-authority: ${clusterFiles.caCert}
users:
- name: kubernetes-admin
  user:
    client-certificate: ${clusterFiles.adminCert}
    client-key: ${clusterFiles.adminKey}
contexts:
- name: metalbun-testbed
  context:
    cluster: metalbun-testbed
    user: kubernetes-admin
current-context: metalbun-testbed
`;
  writeFileSync(clusterFiles.kubeconfig, yaml, { mode: 0o600 });
}

function etcdArgv(bin: string): string[] {
  const client = `http://127.0.0.1:${ETCD_CLIENT_PORT}`;
  const peer = `http://127.0.0.1:${ETCD_PEER_PORT}`;
  return [
    join(bin, "etcd"),
    "--name=testbed",
    `--data-dir=${clusterFiles.etcdData}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=testbed=${peer}`,
    "--log-level=warn",
    // Tests churn thousands of objects; keep etcd's disk footprint small and fsync cheap.
    "--quota-backend-bytes=2147483648",
    "--unsafe-no-fsync",
  ];
}

function apiserverArgv(bin: string): string[] {
  return [
    join(bin, "kube-apiserver"),
    `--etcd-servers=http://127.0.0.1:${ETCD_CLIENT_PORT}`,
    "--bind-address=127.0.0.1",
    `--secure-port=${APISERVER_PORT}`,
    `--advertise-address=${CONTROL_PLANE_IP}`,
    `--tls-cert-file=${clusterFiles.servingCert}`,
    `--tls-private-key-file=${clusterFiles.servingKey}`,
    `--client-ca-file=${clusterFiles.caCert}`,
    "--authorization-mode=RBAC",
    `--service-account-issuer=${ISSUER}`,
    `--api-audiences=${ISSUER}`,
    `--service-account-key-file=${clusterFiles.serviceAccountPub}`,
    `--service-account-signing-key-file=${clusterFiles.serviceAccountKey}`,
    `--service-cluster-ip-range=${SERVICE_CIDRS.join(",")}`,
    "--allow-privileged=true",
    "--profiling=false",
    "--v=1",
  ];
}

async function readyz(): Promise<boolean> {
  try {
    const res = await fetch(`${APISERVER_URL}/readyz`, {
      tls: {
        ca: Bun.file(clusterFiles.caCert),
        cert: Bun.file(clusterFiles.adminCert),
        key: Bun.file(clusterFiles.adminKey),
      },
      signal: AbortSignal.timeout(2000),
    });
    return res.status === 200;
  } catch {
    return false;
  }
}

async function waitReady(timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await readyz()) return;
    if (livePid(clusterFiles.pids, "kube-apiserver") === undefined) {
      throw new Error(`kube-apiserver exited; see ${join(clusterFiles.logs, "kube-apiserver.log")}`);
    }
    await Bun.sleep(200);
  }
  throw new Error(`apiserver not ready after ${timeoutMs} ms; see ${clusterFiles.logs}`);
}

async function etcdHealthy(): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${ETCD_CLIENT_PORT}/health`, {
      signal: AbortSignal.timeout(1000),
    });
    return res.ok;
  } catch {
    return false;
  }
}

async function ensureEtcd(bin: string): Promise<void> {
  if (livePid(clusterFiles.pids, "etcd") !== undefined && (await etcdHealthy())) return;
  await stopDaemon(clusterFiles.pids, "etcd");
  startDaemon(clusterFiles.pids, "etcd", etcdArgv(bin), join(clusterFiles.logs, "etcd.log"));
  const deadline = Date.now() + 30_000;
  while (!(await etcdHealthy())) {
    if (Date.now() > deadline) throw new Error(`etcd not healthy; see ${clusterFiles.logs}/etcd.log`);
    await Bun.sleep(100);
  }
}

function ensureSocketForwarder(): void {
  if (
    livePid(clusterFiles.pids, "apiserver-socket") !== undefined &&
    existsSync(clusterFiles.apiserverSocket)
  )
    return;
  rmSync(clusterFiles.apiserverSocket, { force: true });
  startDaemon(
    clusterFiles.pids,
    "apiserver-socket",
    ["socat", `UNIX-LISTEN:${clusterFiles.apiserverSocket},fork,mode=600`, `TCP:127.0.0.1:${APISERVER_PORT}`],
    join(clusterFiles.logs, "apiserver-socket.log"),
  );
}

/** Outside the cluster directory, which stopCluster removes. */
const LOCK = join(STATE_ROOT, "cluster.lock");

async function portOpen(port: number): Promise<boolean> {
  try {
    const socket = await Bun.connect({ hostname: "127.0.0.1", port, socket: { data() {} } });
    socket.end();
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts the apiserver once its port is free. A port still held after our recorded apiserver
 * stopped means a process we do not track (an earlier run's orphan): say so rather than silently
 * talking to it.
 */
async function startApiserver(bin: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (await portOpen(APISERVER_PORT)) {
    if (Date.now() > deadline) {
      throw new Error(
        `127.0.0.1:${APISERVER_PORT} is held by a process the testbed does not track; stop it (ss -ltnp) and retry`,
      );
    }
    await Bun.sleep(100);
  }
  startDaemon(
    clusterFiles.pids,
    "kube-apiserver",
    apiserverArgv(bin),
    join(clusterFiles.logs, "kube-apiserver.log"),
  );
}

/** Starts whatever part of the cluster is not running (idempotent) and waits for /readyz. */
export function ensureCluster(): Promise<ClusterHandle> {
  return withLock(LOCK, ensureClusterLocked);
}

async function ensureClusterLocked(): Promise<ClusterHandle> {
  const bin = await binDir();
  mkdirSync(clusterFiles.logs, { recursive: true });
  await ensurePki();
  writeKubeconfig();
  await ensureEtcd(bin);
  if (livePid(clusterFiles.pids, "kube-apiserver") === undefined) await startApiserver(bin);
  ensureSocketForwarder();
  await waitReady(120_000);
  return handle(bin);
}

/** Stops only the apiserver (etcd keeps its data): an outage; ensureCluster() brings it back. */
export function stopApiserver(): Promise<void> {
  return withLock(LOCK, () => stopDaemon(clusterFiles.pids, "kube-apiserver", 5_000));
}

/** Stops the apiserver and starts it again on the same etcd: a real restart, as a control-plane upgrade does. */
export function restartApiserver(): Promise<void> {
  return withLock(LOCK, async () => {
    const bin = await binDir();
    // The apiserver holds watches open up to a minute after SIGTERM; 5 s is enough for a clean stop.
    await stopDaemon(clusterFiles.pids, "kube-apiserver", 5_000);
    await startApiserver(bin);
    await waitReady(120_000);
  });
}

/** Stops every process of the cluster and removes its state (certificates, etcd data, logs). */
export function stopCluster(): Promise<void> {
  return withLock(LOCK, async () => {
    await stopDaemon(clusterFiles.pids, "apiserver-socket");
    await stopDaemon(clusterFiles.pids, "kube-apiserver", 5_000);
    await stopDaemon(clusterFiles.pids, "etcd");
    rmSync(clusterFiles.dir, { recursive: true, force: true });
  });
}

export async function clusterStatus(): Promise<Record<string, boolean>> {
  return {
    etcd: livePid(clusterFiles.pids, "etcd") !== undefined && (await etcdHealthy()),
    "kube-apiserver": livePid(clusterFiles.pids, "kube-apiserver") !== undefined && (await readyz()),
    "apiserver-socket": livePid(clusterFiles.pids, "apiserver-socket") !== undefined,
  };
}

/** Runs the pinned kubectl with the admin kubeconfig; never throws on a non-zero exit. */
export async function kubectl(args: readonly string[], opts: { stdin?: string } = {}): Promise<RunResult> {
  const bin = await binDir();
  return run([join(bin, "kubectl"), `--kubeconfig=${clusterFiles.kubeconfig}`, ...args], {
    ...opts,
    check: false,
  });
}
