/**
 * The testbed cluster: etcd + kube-apiserver (built by build-binaries.sh), in one of two places:
 *
 * - "host" (the default, for tests of one component): on the host's loopback, plus a unix-socket
 *   forwarder so processes inside network namespaces can reach the apiserver without any route into
 *   the host namespace (a unix socket is a file, not bound to a network namespace). No kubelet, no
 *   controller-manager: tests create Node objects and EndpointSlices themselves.
 * - "control-plane-node" (real nodes, e2e/nodes): inside the myk8s-control-plane network namespace,
 *   as kind runs them, listening on 172.18.0.2 for the kubelets, kube-proxies and pods. The host
 *   reaches it at the same 127.0.0.1 URL through a relay (host loopback -> unix socket -> the
 *   namespace's loopback), with TCP_NODELAY on both TCP legs so small writes never wait for an ACK.
 *
 * The placement of a running cluster is recorded beside its state, so stop and restart act on it.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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

export type ClusterPlacement = "host" | "control-plane-node";

/** The network namespace of the control-plane node (e2e/net/topology.ts names it so). */
export const CONTROL_PLANE_NAMESPACE = "myk8s-control-plane";

const PLACEMENT_FILE = join(clusterFiles.dir, "placement");

/** Where the running (or last started) cluster's etcd and apiserver are. */
export function recordedPlacement(): ClusterPlacement | undefined {
  if (!existsSync(PLACEMENT_FILE)) return undefined;
  const text = readFileSync(PLACEMENT_FILE, "utf8").trim();
  return text === "host" || text === "control-plane-node" ? text : undefined;
}

/** argv run in the control-plane node's network namespace (nothing else changes: same mounts). */
export function inControlPlaneNode(argv: readonly string[]): string[] {
  return ["nsenter", `--net=/run/netns/${CONTROL_PLANE_NAMESPACE}`, "--", ...argv];
}

function placed(placement: ClusterPlacement, argv: readonly string[]): string[] {
  return placement === "host" ? [...argv] : inControlPlaneNode(argv);
}

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

function apiserverArgv(bin: string, placement: ClusterPlacement): string[] {
  return [
    join(bin, "kube-apiserver"),
    `--etcd-servers=http://127.0.0.1:${ETCD_CLIENT_PORT}`,
    // On the control-plane node it serves the node's address too (kubelets, kube-proxy, pods).
    `--bind-address=${placement === "host" ? "127.0.0.1" : "0.0.0.0"}`,
    `--secure-port=${APISERVER_PORT}`,
    `--advertise-address=${CONTROL_PLANE_IP}`,
    `--tls-cert-file=${clusterFiles.servingCert}`,
    `--tls-private-key-file=${clusterFiles.servingKey}`,
    `--client-ca-file=${clusterFiles.caCert}`,
    // Node: kubelets (system:node:<name>) get exactly their node's objects, as in any cluster.
    "--authorization-mode=Node,RBAC",
    "--enable-admission-plugins=NodeRestriction",
    // For `kubectl logs/exec`: the apiserver's client identity toward kubelets, by node address.
    `--kubelet-client-certificate=${clusterFiles.kubeletClientCert}`,
    `--kubelet-client-key=${clusterFiles.kubeletClientKey}`,
    "--kubelet-preferred-address-types=InternalIP",
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

async function etcdHealthy(placement: ClusterPlacement): Promise<boolean> {
  if (placement === "control-plane-node") {
    const r = await run(
      inControlPlaneNode(["curl", "-sf", "-m", "1", `http://127.0.0.1:${ETCD_CLIENT_PORT}/health`]),
      { check: false },
    );
    return r.exitCode === 0;
  }
  try {
    const res = await fetch(`http://127.0.0.1:${ETCD_CLIENT_PORT}/health`, {
      signal: AbortSignal.timeout(1000),
    });
    return res.ok;
  } catch {
    return false;
  }
}

async function ensureEtcd(bin: string, placement: ClusterPlacement): Promise<void> {
  if (livePid(clusterFiles.pids, "etcd") !== undefined && (await etcdHealthy(placement))) return;
  await stopDaemon(clusterFiles.pids, "etcd");
  startDaemon(
    clusterFiles.pids,
    "etcd",
    placed(placement, etcdArgv(bin)),
    join(clusterFiles.logs, "etcd.log"),
  );
  const deadline = Date.now() + 30_000;
  while (!(await etcdHealthy(placement))) {
    if (Date.now() > deadline) throw new Error(`etcd not healthy; see ${clusterFiles.logs}/etcd.log`);
    await Bun.sleep(100);
  }
}

/**
 * The host's way in to an apiserver on the control-plane node: a relay in the namespace from a
 * unix socket to the apiserver's loopback port, and one on the host's loopback to that socket.
 */
function ensureHostRelay(): void {
  const socket = clusterFiles.apiserverSocket;
  if (livePid(clusterFiles.pids, "apiserver-node-relay") === undefined || !existsSync(socket)) {
    rmSync(socket, { force: true });
    startDaemon(
      clusterFiles.pids,
      "apiserver-node-relay",
      inControlPlaneNode([
        "socat",
        `UNIX-LISTEN:${socket},fork,mode=600`,
        `TCP4:127.0.0.1:${APISERVER_PORT},nodelay`,
      ]),
      join(clusterFiles.logs, "apiserver-node-relay.log"),
    );
  }
  if (livePid(clusterFiles.pids, "apiserver-host-relay") === undefined) {
    startDaemon(
      clusterFiles.pids,
      "apiserver-host-relay",
      [
        "socat",
        `TCP4-LISTEN:${APISERVER_PORT},bind=127.0.0.1,fork,reuseaddr,nodelay`,
        `UNIX-CONNECT:${socket}`,
      ],
      join(clusterFiles.logs, "apiserver-host-relay.log"),
    );
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
    [
      "socat",
      `UNIX-LISTEN:${clusterFiles.apiserverSocket},fork,mode=600`,
      `TCP:127.0.0.1:${APISERVER_PORT},nodelay`,
    ],
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
async function startApiserver(bin: string, placement: ClusterPlacement): Promise<void> {
  const deadline = Date.now() + 15_000;
  // On the node the host port is our own relay's; the node's namespace starts empty.
  while (placement === "host" && (await portOpen(APISERVER_PORT))) {
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
    placed(placement, apiserverArgv(bin, placement)),
    join(clusterFiles.logs, "kube-apiserver.log"),
  );
}

export interface EnsureClusterOptions {
  /** Where etcd and the apiserver run (default "host"); "control-plane-node" needs the network up. */
  readonly placement?: ClusterPlacement;
}

/**
 * Starts whatever part of the cluster is not running (idempotent) and waits for /readyz. A cluster
 * running in the other placement is stopped first (its state goes with it).
 */
export function ensureCluster(opts: EnsureClusterOptions = {}): Promise<ClusterHandle> {
  return withLock(LOCK, () => ensureClusterLocked(opts.placement ?? "host"));
}

async function ensureClusterLocked(placement: ClusterPlacement): Promise<ClusterHandle> {
  const running = recordedPlacement();
  if (running !== undefined && running !== placement) await stopClusterLocked();
  const bin = await binDir();
  mkdirSync(clusterFiles.logs, { recursive: true });
  writeFileSync(PLACEMENT_FILE, `${placement}\n`);
  await ensurePki();
  writeKubeconfig();
  await ensureEtcd(bin, placement);
  if (livePid(clusterFiles.pids, "kube-apiserver") === undefined) await startApiserver(bin, placement);
  if (placement === "host") ensureSocketForwarder();
  else ensureHostRelay();
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
    await startApiserver(bin, recordedPlacement() ?? "host");
    await waitReady(120_000);
  });
}

/** Stops every process of the cluster and removes its state (certificates, etcd data, logs). */
export function stopCluster(): Promise<void> {
  return withLock(LOCK, stopClusterLocked);
}

/** Every daemon a cluster of either placement may have; stopping one that is not running is a no-op. */
const CLUSTER_DAEMONS = ["apiserver-socket", "apiserver-host-relay", "apiserver-node-relay"] as const;

async function stopClusterLocked(): Promise<void> {
  for (const name of CLUSTER_DAEMONS) await stopDaemon(clusterFiles.pids, name);
  await stopDaemon(clusterFiles.pids, "kube-apiserver", 5_000);
  await stopDaemon(clusterFiles.pids, "etcd");
  rmSync(clusterFiles.dir, { recursive: true, force: true });
}

export interface ClusterStatus {
  readonly placement: ClusterPlacement;
  /** Each daemon of this placement: running (and for etcd and the apiserver, healthy) or not. */
  readonly daemons: Record<string, boolean>;
}

export async function clusterStatus(): Promise<ClusterStatus> {
  const placement = recordedPlacement() ?? "host";
  const relays =
    placement === "host" ? ["apiserver-socket"] : ["apiserver-host-relay", "apiserver-node-relay"];
  return {
    placement,
    daemons: {
      etcd: livePid(clusterFiles.pids, "etcd") !== undefined && (await etcdHealthy(placement)),
      "kube-apiserver": livePid(clusterFiles.pids, "kube-apiserver") !== undefined && (await readyz()),
      ...Object.fromEntries(relays.map((r) => [r, livePid(clusterFiles.pids, r) !== undefined])),
    },
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
