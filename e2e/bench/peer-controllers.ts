/**
 * The two controllers `bun run bench peers` compares, started the same way: MetalLB's pinned
 * release (built from the Go module proxy by e2e/peers/build-metallb.sh into the testbed cache;
 * only its binaries are run) and ours, each alone in a private network namespace that reaches the
 * apiserver through the cluster's unix socket and a TCP_NODELAY relay on its loopback.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { kubectl } from "../cluster/cluster.ts";
import { APISERVER_PORT, clusterFiles, STATE_ROOT } from "../cluster/paths.ts";
import { operatorProgram } from "../lab/program.ts";
import { runOk } from "../net/run.ts";

const ROOT = join(import.meta.dir, "..", "..");
const BUILD_SCRIPT = join(ROOT, "e2e", "peers", "build-metallb.sh");
export const NAMESPACE = "metallb-system";
/** MetalLB v0.16's controller reads its own Pod (owner of its ConfigurationState): the bench writes one. */
const METALLB_POD = "metallb-controller-bench";
/** Each controller's output, one file per run (MetalLB logs every retried write as an error). */
export const LOG_DIR = join(STATE_ROOT, "bench-peers");

export type Peer = "metallb" | "metalbun";

/** Builds (first time) or finds MetalLB's pinned controller and speaker. */
export async function metallbBinDir(): Promise<string> {
  const out = await runOk(["bash", BUILD_SCRIPT], { timeoutMs: 1_800_000 });
  return out.trim().split("\n").at(-1)!;
}

/**
 * argv run in a fresh network namespace: loopback up, a relay from the namespace's
 * 127.0.0.1:<apiserver port> to the cluster's unix socket (TCP_NODELAY), then the program. The
 * `unshare` we spawn execs the shell, so SIGTERM to our child reaches the shell: it passes the
 * signal on, waits for the program, then ends the relay. The namespace goes with its last process.
 */
function inPrivateNetns(argv: readonly string[]): string[] {
  const script = [
    "ip link set lo up",
    `socat TCP4-LISTEN:${APISERVER_PORT},bind=127.0.0.1,fork,reuseaddr,nodelay UNIX-CONNECT:${clusterFiles.apiserverSocket} 2>/dev/null &`,
    "relay=$!",
    `for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/${APISERVER_PORT}) 2>/dev/null && break; sleep 0.05; done`,
    '"$@" &',
    "child=$!",
    "trap 'kill -TERM $child 2>/dev/null' TERM INT",
    "wait $child",
    "wait $child",
    "code=$?",
    "kill $relay 2>/dev/null",
    "exit $code",
  ].join("\n");
  return [
    "unshare",
    "--net",
    "--pid",
    "--fork",
    "--kill-child=SIGTERM",
    "--",
    "bash",
    "-c",
    script,
    "peer",
    ...argv,
  ];
}

async function peerArgv(peer: Peer): Promise<string[]> {
  if (peer === "metallb") {
    return [
      join(await metallbBinDir(), "controller"),
      `--namespace=${NAMESPACE}`,
      "--webhook-mode=disabled",
      "--disable-cert-rotation",
      "--port=0",
      "--log-level=warn",
    ];
  }
  return ["bun", await operatorProgram(), "controller", "--log-level=warn"];
}

export interface Running {
  readonly peer: Peer;
  readonly proc: Bun.Subprocess;
}

export async function startPeer(peer: Peer, part: string): Promise<Running> {
  mkdirSync(LOG_DIR, { recursive: true });
  const log = join(LOG_DIR, `${peer}-${part}.log`);
  console.error(`[${peer}] ${part}: log in ${log}`);
  const proc = Bun.spawn(inPrivateNetns(await peerArgv(peer)), {
    // METALLB_POD_NAME: v0.16's controller reads its own Pod (v0.15's has no such flag).
    env: { ...process.env, KUBECONFIG: clusterFiles.kubeconfig, METALLB_POD_NAME: METALLB_POD },
    stdin: "ignore",
    stdout: Bun.file(log),
    stderr: Bun.file(log),
  });
  return { peer, proc };
}

export async function stopPeer(running: Running): Promise<void> {
  running.proc.kill("SIGTERM");
  const exited = await Promise.race([running.proc.exited, Bun.sleep(15_000).then(() => undefined)]);
  if (exited === undefined) {
    running.proc.kill("SIGKILL");
    await running.proc.exited;
  }
}

/** The Pod object MetalLB's controller reads as its own (no kubelet runs it). */
export async function writeMetallbControllerPod(): Promise<void> {
  const pod = {
    apiVersion: "v1",
    kind: "Pod",
    metadata: {
      name: METALLB_POD,
      namespace: NAMESPACE,
      labels: { app: "metallb", component: "controller" },
    },
    spec: {
      serviceAccountName: "controller",
      automountServiceAccountToken: false,
      containers: [{ name: "controller", image: "metallb-bench/not-run:0" }],
    },
  };
  const applied = await kubectl(["apply", "-f", "-"], { stdin: JSON.stringify(pod) });
  if (applied.exitCode !== 0) throw new Error(`MetalLB's Pod object: ${applied.stderr}`);
}
