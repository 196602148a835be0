/**
 * metalbun "as pods", for the tests and benches of one component (the lab itself runs the bundle
 * on real nodes, e2e/nodes): the controller in the control-plane namespace with the
 * `controller` ServiceAccount, one speaker per node namespace with the `speaker` ServiceAccount,
 * each configured as the bundle's Deployment and DaemonSet configure them (same env names), and
 * reached through in-cluster configuration only.
 */
import { speakerRuntimeEnv } from "../../deploy/bundle.ts";
import { execIn } from "../net/exec.ts";
import { NODES, nodeNamed } from "../net/topology.ts";
import { type PodHandle, runAsPod } from "../pod/as-pod.ts";
import { operatorProgram } from "./program.ts";

export const HEALTH_PORT = 17472;
/**
 * In a cluster the controller has a pod IP of its own; here it shares the control-plane node's
 * namespace with that node's speaker, so it takes the next ports.
 */
export const CONTROLLER_HEALTH_PORT = 17473;
const CONTROLLER_METRICS_PORT = 9121;

export interface RunningOperator {
  readonly controller: PodHandle;
  readonly speakers: ReadonlyMap<string, PodHandle>;
}

/** The bundle's speaker runtime options, read once per process (every speaker start needs them). */
let bundleRuntimeEnv: Record<string, string> | undefined;
function runtimeEnv(): Record<string, string> {
  bundleRuntimeEnv ??= speakerRuntimeEnv();
  return bundleRuntimeEnv;
}

/** Extra environment for every speaker (e.g. METALBUN_L2_NON_REVERTIVE), as a DaemonSet edit would set it. */
let speakerExtraEnv: Record<string, string> = {};

export async function startOperator(
  logLevel = "info",
  speakerEnv: Record<string, string> = {},
): Promise<RunningOperator> {
  speakerExtraEnv = speakerEnv;
  const controlPlane = NODES[0]!;
  const controller = await runAsPod({
    node: controlPlane.name,
    serviceAccount: "controller",
    namespace: "metallb-system",
    name: "controller",
    argv: [
      "bun",
      await operatorProgram(),
      "controller",
      `--log-level=${logLevel}`,
      `--port=${CONTROLLER_METRICS_PORT}`,
      `--health-probe-port=${CONTROLLER_HEALTH_PORT}`,
    ],
    env: {
      METALLB_ML_SECRET_NAME: "memberlist",
      METALLB_DEPLOYMENT: "controller",
      METALLB_POD_NAME: "controller",
    },
  });
  const speakers = new Map<string, PodHandle>();
  for (const node of NODES) speakers.set(node.name, await startSpeakerPod(node.name, logLevel));
  return { controller, speakers };
}

async function startSpeakerPod(nodeName: string, logLevel: string): Promise<PodHandle> {
  const node = nodeNamed(nodeName);
  return runAsPod({
    node: node.name,
    serviceAccount: "speaker",
    namespace: "metallb-system",
    name: `speaker-${node.name}-${Date.now().toString(36)}`,
    argv: ["bun", await operatorProgram(), "speaker", `--log-level=${logLevel}`],
    env: {
      METALLB_NODE_NAME: node.name,
      METALLB_POD_NAME: `speaker-${node.name}`,
      METALLB_HOST: node.ipv4,
      METALLB_ML_BIND_ADDR: node.ipv4,
      METALLB_ML_LABELS: "app=metallb,component=speaker",
      // The DaemonSet's runtime options (the JIT tiers), as shipped.
      ...runtimeEnv(),
      ...speakerExtraEnv,
    },
  });
}

/** Starts a new speaker pod on `node` (after its previous one died), as the DaemonSet would. */
export async function restartSpeaker(
  op: RunningOperator,
  node: string,
  logLevel = "info",
): Promise<PodHandle> {
  const pod = await startSpeakerPod(node, logLevel);
  (op.speakers as Map<string, PodHandle>).set(node, pod);
  return pod;
}

/** /readyz of a component, asked from inside its node namespace as the kubelet's probe would. */
export async function readiness(node: string, port = HEALTH_PORT): Promise<string> {
  const r = await execIn(node, ["curl", "-s", "-m", "1", `http://127.0.0.1:${port}/readyz`]);
  return r.exitCode === 0 ? r.stdout.trim() : `unreachable (curl exit ${r.exitCode})`;
}

export async function waitReady(node: string, port = HEALTH_PORT, timeoutMs = 30_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await readiness(node, port)) === "ok") return true;
    await Bun.sleep(200);
  }
  return false;
}

export async function stopOperator(op: RunningOperator): Promise<void> {
  await Promise.all([
    op.controller.stop("SIGTERM"),
    ...[...op.speakers.values()].map((s) => s.stop("SIGTERM")),
  ]);
}
