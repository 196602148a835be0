/**
 * Runs an operator process "as a pod": in a node's network namespace (hostNetwork, like the
 * speaker DaemonSet), with its own mount and UTS namespaces holding the ServiceAccount token, the
 * cluster CA and the namespace at /var/run/secrets/kubernetes.io/serviceaccount, and the
 * environment the kubelet gives every pod (KUBERNETES_SERVICE_HOST/PORT ...), without KUBECONFIG.
 * So in-cluster configuration and the ServiceAccount's RBAC are what gets exercised.
 *
 * The apiserver is reached at 10.96.0.1:443 through the forwarder that `netUp({ apiserverUnixSocket })`
 * starts in each node namespace.
 */
import { existsSync, mkdirSync, readFileSync, realpathSync } from "node:fs";
import { dirname, join } from "node:path";
import { type ClusterHandle, ensureCluster, kubectl } from "../cluster/harness.ts";
import { spawnIn } from "../net/exec.ts";
import { forgetRecord, NET_STATE_DIR, stopProcess } from "../net/procs.ts";
import { APISERVER_SERVICE_IP, APISERVER_SERVICE_PORT, nodeNamed } from "../net/topology.ts";
import {
  type OverlayPlan,
  overlayPlan,
  PROLOGUE_ENV,
  podPrologue,
  SERVICE_ACCOUNT_DIR,
} from "./pod-script.ts";

export interface RunAsPodOptions {
  /** Node namespace to run in (e.g. "myk8s-worker"). */
  readonly node: string;
  readonly serviceAccount: string;
  /** Namespace of the ServiceAccount (and the pod). */
  readonly namespace: string;
  readonly argv: readonly string[];
  /** Extra environment (e.g. METALLB_NODE_NAME); added to the kubelet-style variables. */
  readonly env?: Record<string, string>;
  /** Pod name, used for the state files; default "<serviceAccount>-<node>-<n>". */
  readonly name?: string;
  /** Working directory (default: this process's). */
  readonly cwd?: string;
  /** Default: ensureCluster(). */
  readonly cluster?: ClusterHandle;
  /** Token lifetime passed to `kubectl create token` (default 24h). */
  readonly tokenDuration?: string;
}

export interface PodHandle {
  readonly name: string;
  readonly node: string;
  readonly pid: number;
  /** Resolves with the exit code (128 + n when killed by signal n). */
  readonly exited: Promise<number>;
  readonly stdoutFile: string;
  readonly stderrFile: string;
  /** Sends the signal, SIGKILL after graceMs, and resolves with the exit code. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<number>;
  stdout(): string;
  stderr(): string;
}

/** The environment a kubelet puts in every pod for the `kubernetes` Service. */
export function kubeletServiceEnv(): Record<string, string> {
  const host = APISERVER_SERVICE_IP;
  const port = String(APISERVER_SERVICE_PORT);
  return {
    KUBERNETES_SERVICE_HOST: host,
    KUBERNETES_SERVICE_PORT: port,
    KUBERNETES_SERVICE_PORT_HTTPS: port,
    KUBERNETES_PORT: `tcp://${host}:${port}`,
    KUBERNETES_PORT_443_TCP: `tcp://${host}:${port}`,
    KUBERNETES_PORT_443_TCP_PROTO: "tcp",
    KUBERNETES_PORT_443_TCP_PORT: port,
    KUBERNETES_PORT_443_TCP_ADDR: host,
  };
}

/** Where the overlay must go on this machine, found by walking up from the standard path. */
function hostOverlayPlan(): OverlayPlan {
  const missing: string[] = [];
  let dir = SERVICE_ACCOUNT_DIR;
  while (!existsSync(dir)) {
    missing.unshift(dir.slice(dirname(dir).length + 1));
    dir = dirname(dir);
  }
  return overlayPlan(realpathSync(dir), missing);
}

export const PODS_STATE_DIR = join(NET_STATE_DIR, "pods");

export async function serviceAccountToken(sa: string, namespace: string, duration = "24h"): Promise<string> {
  const result = await kubectl(["create", "token", sa, "-n", namespace, `--duration=${duration}`]);
  if (result.exitCode !== 0) {
    throw new Error(`kubectl create token ${sa} -n ${namespace} failed: ${result.stderr.trim()}`);
  }
  return result.stdout.trim();
}

let podCounter = 0;

export async function runAsPod(opts: RunAsPodOptions): Promise<PodHandle> {
  const node = nodeNamed(opts.node);
  const cluster = opts.cluster ?? (await ensureCluster());
  const token = await serviceAccountToken(opts.serviceAccount, opts.namespace, opts.tokenDuration);
  podCounter += 1;
  const name = opts.name ?? `${opts.serviceAccount}-${node.name}-${process.pid}-${podCounter}`;
  // An empty directory in our own state dir; the tmpfs mounted on it exists only inside the pod.
  const stage = join(PODS_STATE_DIR, name, "stage");
  mkdirSync(stage, { recursive: true });
  const plan = hostOverlayPlan();

  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    HOME: "/root",
    HOSTNAME: node.name,
    ...kubeletServiceEnv(),
    ...opts.env,
    [PROLOGUE_ENV.stage]: stage,
    [PROLOGUE_ENV.overlayTarget]: plan.target,
    [PROLOGUE_ENV.relativeDir]: plan.relativeDir,
    [PROLOGUE_ENV.token]: token,
    [PROLOGUE_ENV.caFile]: cluster.caFile,
    [PROLOGUE_ENV.namespace]: opts.namespace,
    [PROLOGUE_ENV.hostname]: node.name,
  };
  const argv = [
    "unshare",
    "--mount",
    "--uts",
    "--propagation",
    "private",
    "sh",
    "-c",
    podPrologue(),
    "pod",
    ...opts.argv,
  ];
  const spawned = spawnIn(node.name, argv, { key: `pod.${name}`, env, cwd: opts.cwd });
  const { stdoutFile, stderrFile } = spawned.record;
  const exited = spawned.exited.then((code) => {
    forgetRecord(`pod.${name}`);
    return code;
  });
  const read = (file: string) => {
    try {
      return readFileSync(file, "utf8");
    } catch {
      return "";
    }
  };
  return {
    name,
    node: node.name,
    pid: spawned.pid,
    exited,
    stdoutFile,
    stderrFile,
    async stop(signal: NodeJS.Signals = "SIGTERM", graceMs = 5000) {
      if (spawned.record.startTime !== "") await stopProcess(spawned.record, signal, graceMs);
      return exited;
    },
    stdout: () => read(stdoutFile),
    stderr: () => read(stderrFile),
  };
}
