/**
 * The failover half of `bun run bench peers`: Layer 2 failover with MetalLB's speakers, then with
 * ours, on one testbed (host mode: node namespaces on one segment, mypc, no kubelet), measured the
 * same way (l2-failover.ts): the owner's speaker SIGKILLed and its link cut, until mypc's neighbour
 * entry names another node and a curl through it answers.
 *
 * MetalLB's speakers are its pinned release's binary (e2e/peers/build-metallb.sh), each run "as a
 * pod" in its node's namespace; its controller runs as in the create→IP part (peer-controllers.ts). They find their memberlist peers by listing Pods with their labels
 * and taking each one's status.podIP: without kubelets the bench writes those Pod objects (one per
 * node, the node's address as podIP, as a hostNetwork DaemonSet's pods have). Both speakers bind
 * the same health port, so one set runs at a time; MetalLB's controller assigns the IPs and ours
 * keeps them (the same annotation).
 *
 * - failover_ms_{p50,p99} (bench "peers-metallb" / "peers-metalbun")
 * - failover_p99_ratio_to_metallb, failover_p50_ratio_to_metallb: ours divided by MetalLB's.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { KubeClient } from "../../operator/src/kube/client.ts";
import { kubectl } from "../cluster/cluster.ts";
import { registerNodes } from "../cluster/nodes.ts";
import { STATE_ROOT } from "../cluster/paths.ts";
import { startOperator, stopOperator, waitReady } from "../lab/operator.ts";
import { netDown, netUp } from "../net/testbed.ts";
import { NODES } from "../net/topology.ts";
import { type PodHandle, runAsPod } from "../pod/as-pod.ts";
import { failoverTrials, ourSpeakers, type SpeakerControl } from "./l2-failover.ts";
import { seedWebServices } from "./l2-services.ts";
import { NAMESPACE, type Running, startPeer, stopPeer } from "./peer-controllers.ts";
import { emit, emitPercentiles, percentile } from "./report.ts";

/** The bench's own ServiceAccount for MetalLB's processes: their RBAC is not what is measured. */
const BENCH_ACCOUNT = "metallb-bench";
const SPEAKER_LABELS = { app: "metallb-bench", component: "speaker" };
const MEMBERLIST_DIR = join(STATE_ROOT, "bench-peers", "memberlist");
/** METALBUN_PEERS_FAILOVER_TRIALS, default 11 each (MetalLB's take seconds each). */
const TRIALS = Number(process.env.METALBUN_PEERS_FAILOVER_TRIALS ?? 11);

async function ok(args: string[], stdin?: string): Promise<string> {
  const r = await kubectl(args, stdin === undefined ? {} : { stdin });
  if (r.exitCode !== 0) throw new Error(`kubectl ${args.join(" ")}: ${r.stderr.trim()}`);
  return r.stdout;
}

/** The ServiceAccount, the Pod objects MetalLB's processes read, and the memberlist key file. */
async function metallbObjects(): Promise<void> {
  await ok(["create", "serviceaccount", BENCH_ACCOUNT, "-n", NAMESPACE]);
  await ok([
    "create",
    "clusterrolebinding",
    BENCH_ACCOUNT,
    "--clusterrole=cluster-admin",
    `--serviceaccount=${NAMESPACE}:${BENCH_ACCOUNT}`,
  ]);
  const pod = (name: string, nodeName: string) => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: NAMESPACE, labels: SPEAKER_LABELS },
    spec: {
      nodeName,
      hostNetwork: true,
      serviceAccountName: BENCH_ACCOUNT,
      automountServiceAccountToken: false,
      containers: [{ name: "main", image: "metallb-bench/not-run:0" }],
    },
  });
  await ok(
    ["apply", "-f", "-"],
    JSON.stringify({
      apiVersion: "v1",
      kind: "List",
      items: [...NODES.map((n) => pod(speakerPodName(n.name), n.name))],
    }),
  );
  for (const n of NODES) {
    const status = { status: { phase: "Running", podIP: n.ipv4, podIPs: [{ ip: n.ipv4 }], hostIP: n.ipv4 } };
    await ok([
      "patch",
      "pod",
      speakerPodName(n.name),
      "-n",
      NAMESPACE,
      "--subresource=status",
      "--type=merge",
      "-p",
      JSON.stringify(status),
    ]);
  }
  mkdirSync(MEMBERLIST_DIR, { recursive: true });
  writeFileSync(
    join(MEMBERLIST_DIR, "secretkey"),
    Buffer.from(crypto.getRandomValues(new Uint8Array(64))).toString("base64"),
  );
}

const speakerPodName = (node: string) => `metallb-speaker-${node}`;

interface MetallbRunning {
  controller: Running;
  speakers: Map<string, PodHandle>;
}

async function startMetallbSpeaker(bin: string, node: string): Promise<PodHandle> {
  const member = NODES.find((n) => n.name === node)!;
  return runAsPod({
    node,
    serviceAccount: BENCH_ACCOUNT,
    namespace: NAMESPACE,
    name: `${speakerPodName(node)}-${Date.now().toString(36)}`,
    argv: [join(bin, "speaker"), "--log-level=warn"],
    env: {
      METALLB_NODE_NAME: node,
      METALLB_POD_NAME: speakerPodName(node),
      METALLB_HOST: member.ipv4,
      METALLB_ML_BIND_ADDR: member.ipv4,
      METALLB_ML_LABELS: Object.entries(SPEAKER_LABELS)
        .map(([k, v]) => `${k}=${v}`)
        .join(","),
      METALLB_ML_SECRET_KEY_PATH: MEMBERLIST_DIR,
    },
  });
}

async function startMetallb(bin: string): Promise<MetallbRunning> {
  const controller = await startPeer("metallb", "failover");
  const speakers = new Map<string, PodHandle>();
  for (const n of NODES) speakers.set(n.name, await startMetallbSpeaker(bin, n.name));
  for (const n of NODES) {
    if (!(await waitReady(n.name, undefined, 60_000)))
      throw new Error(
        `MetalLB's speaker on ${n.name} never ready: ${speakers.get(n.name)?.stderr().slice(-2000)}`,
      );
  }
  return { controller, speakers };
}

async function stopMetallb(running: MetallbRunning): Promise<void> {
  await Promise.all([
    stopPeer(running.controller),
    ...[...running.speakers.values()].map((s) => s.stop("SIGTERM")),
  ]);
}

function metallbSpeakers(bin: string, running: MetallbRunning): SpeakerControl {
  return {
    async kill(node) {
      await running.speakers.get(node)?.stop("SIGKILL", 0);
    },
    async start(node) {
      running.speakers.set(node, await startMetallbSpeaker(bin, node));
      await waitReady(node, undefined, 60_000);
    },
  };
}

function report(peer: "metallb" | "metalbun", samples: number[]): number[] {
  emitPercentiles(`peers-${peer}`, "failover_ms", samples, "ms", 1);
  return [...samples].sort((a, b) => a - b);
}

/** MetalLB's speakers, then ours, on one testbed; `client` talks to the running cluster. */
export async function peersFailover(
  client: KubeClient,
  metallbBin: string,
  apiserverUnixSocket: string,
): Promise<void> {
  await netUp({ apiserverUnixSocket });
  let metallb: MetallbRunning | undefined;
  let ours: Awaited<ReturnType<typeof startOperator>> | undefined;
  try {
    await registerNodes(NODES);
    await metallbObjects();
    metallb = await startMetallb(metallbBin);
    const ips = await seedWebServices(client);
    await Bun.sleep(2000);
    // MetalLB's memberlist finds a dead node in seconds: generous bounds for the move and the return.
    const theirs = report(
      "metallb",
      await failoverTrials(metallbSpeakers(metallbBin, metallb), ips, TRIALS, {
        moveTimeoutMs: 60_000,
        failBackTimeoutMs: 60_000,
      }),
    );
    await stopMetallb(metallb);
    metallb = undefined;

    ours = await startOperator("warn");
    for (const n of NODES) await waitReady(n.name);
    await Bun.sleep(2000);
    const mine = report("metalbun", await failoverTrials(ourSpeakers(ours), ips, TRIALS));
    for (const p of [99, 50]) {
      emit(
        "peers",
        `failover_p${p}_ratio_to_metallb`,
        Number((percentile(mine, p) / percentile(theirs, p)).toPrecision(3)),
        "ratio",
        TRIALS,
      );
    }
  } finally {
    if (metallb) await stopMetallb(metallb).catch(() => undefined);
    if (ours) await stopOperator(ours).catch(() => undefined);
    await netDown();
  }
}
