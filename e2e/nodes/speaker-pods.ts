/**
 * The speaker DaemonSet's pods on the real nodes, as a test handles them: which container runs on
 * a node, the host PID of its process (to freeze it, or kill it the way the kernel's OOM killer or
 * a crash would), and waiting for the kubelet or the DaemonSet controller to bring a new one up.
 * The host PID comes from the container's cgroup: the kubelet's cgroupfs layout puts every
 * container in `<node cgroup root>/kubepods/[<qos>/]pod<uid>/<container id>`.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { binDir, kubectl } from "../cluster/cluster.ts";
import { clusterFiles } from "../cluster/paths.ts";
import { waitReady } from "../lab/operator.ts";
import { nodeCgroupRoot } from "./paths.ts";

export const SPEAKER_NAMESPACE = "metallb-system";

/** One running speaker container: the pod, the container, and its process as the host sees it. */
export interface RunningSpeaker {
  readonly node: string;
  readonly pod: string;
  readonly podUid: string;
  readonly containerId: string;
  readonly restartCount: number;
  readonly pid: number;
}

interface PodJson {
  metadata: { name: string; uid: string; deletionTimestamp?: string };
  spec: { nodeName?: string };
  status: {
    containerStatuses?: Array<{
      containerID?: string;
      restartCount: number;
      state?: { running?: object };
    }>;
  };
}

async function speakerPodsJson(): Promise<PodJson[]> {
  const r = await kubectl(["get", "pods", "-n", SPEAKER_NAMESPACE, "-l", "component=speaker", "-o", "json"]);
  if (r.exitCode !== 0) throw new Error(`kubectl get speaker pods: ${r.stderr.trim()}`);
  return (JSON.parse(r.stdout) as { items: PodJson[] }).items;
}

const PIDS_CGROUP = "/sys/fs/cgroup/pids";

/**
 * The host PID of a container's first process (PID 1 in its own PID namespace), or undefined
 * when the container has no process (exited, or not started yet).
 */
export function containerMainPid(node: string, podUid: string, containerId: string): number | undefined {
  const kubepods = join(PIDS_CGROUP, nodeCgroupRoot(node), "kubepods");
  for (const qos of ["besteffort", "burstable", ""]) {
    const procs = join(kubepods, qos, `pod${podUid}`, containerId, "cgroup.procs");
    if (!existsSync(procs)) continue;
    for (const line of readFileSync(procs, "utf8").split("\n")) {
      const pid = Number(line);
      if (!Number.isInteger(pid) || pid <= 0) continue;
      try {
        // NSpid lists the PID in every namespace from the host's down to the container's own.
        const nspid = readFileSync(`/proc/${pid}/status`, "utf8").match(/^NSpid:\s+(.*)$/m)?.[1];
        if (nspid?.trim().split(/\s+/).at(-1) === "1") return pid;
      } catch {
        // The process ended between the two reads.
      }
    }
  }
  return undefined;
}

function runningOn(pods: PodJson[], node: string): RunningSpeaker | undefined {
  for (const p of pods) {
    if (p.spec.nodeName !== node || p.metadata.deletionTimestamp) continue;
    const status = p.status.containerStatuses?.[0];
    if (!status?.state?.running || !status.containerID) continue;
    const containerId = status.containerID.replace(/^[a-z]+:\/\//, "");
    const pid = containerMainPid(node, p.metadata.uid, containerId);
    if (pid === undefined) continue;
    return {
      node,
      pod: p.metadata.name,
      podUid: p.metadata.uid,
      containerId,
      restartCount: status.restartCount,
      pid,
    };
  }
  return undefined;
}

/** The speaker container running on `node` now; throws when there is none. */
export async function runningSpeaker(node: string): Promise<RunningSpeaker> {
  const found = runningOn(await speakerPodsJson(), node);
  if (!found) throw new Error(`no speaker container is running on ${node}`);
  return found;
}

/** Whether that very process still runs (same PID in the same container). */
export function stillRunning(s: RunningSpeaker): boolean {
  return containerMainPid(s.node, s.podUid, s.containerId) === s.pid;
}

/** Signals the speaker's process from the host, as the kernel or a crash would end it. */
export function signalSpeaker(s: RunningSpeaker, signal: NodeJS.Signals): void {
  process.kill(s.pid, signal);
}

/**
 * Deletes the speaker's pod without waiting: the kubelet sends SIGTERM and waits the grace
 * period, the DaemonSet controller creates the node's next pod (`kubectl delete pod`, a drain or
 * a rollout all end a speaker this way).
 */
export async function deleteSpeakerPod(s: RunningSpeaker): Promise<void> {
  const r = await kubectl(["delete", "pod", "-n", SPEAKER_NAMESPACE, s.pod, "--wait=false"]);
  if (r.exitCode !== 0) throw new Error(`kubectl delete pod ${s.pod}: ${r.stderr.trim()}`);
}

/**
 * Waits for another speaker container than `previous` on its node (the kubelet's restart, or the
 * DaemonSet's new pod) and for its /readyz, as the kubelet's readiness probe asks it.
 */
export async function speakerBack(previous: RunningSpeaker, timeoutMs = 60_000): Promise<RunningSpeaker> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = runningOn(await speakerPodsJson(), previous.node);
    if (now && now.containerId !== previous.containerId) {
      if (!(await waitReady(previous.node, undefined, Math.max(1_000, deadline - Date.now()))))
        throw new Error(`the new speaker on ${previous.node} (${now.pod}) never became ready`);
      return now;
    }
    if (Date.now() > deadline)
      throw new Error(`no new speaker container on ${previous.node} within ${timeoutMs} ms`);
    await Bun.sleep(250);
  }
}

/** A speaker's log as it is written, kept after its pod is gone (a deleted pod's log goes with it). */
export interface FollowedLog {
  /** Every line read so far. */
  lines(): readonly string[];
  stop(): void;
}

/** Follows `s`'s container log from now (`kubectl logs -f`) until stop(). */
export async function followSpeakerLog(s: RunningSpeaker): Promise<FollowedLog> {
  const kubectlBin = join(await binDir(), "kubectl");
  const child = Bun.spawn(
    [
      kubectlBin,
      `--kubeconfig=${clusterFiles.kubeconfig}`,
      "logs",
      "-f",
      "-n",
      SPEAKER_NAMESPACE,
      s.pod,
      "--tail=0",
    ],
    { stdout: "pipe", stderr: "ignore" },
  );
  const lines: string[] = [];
  let partial = "";
  const decoder = new TextDecoder();
  void (async () => {
    for await (const chunk of child.stdout) {
      const parts = (partial + decoder.decode(chunk, { stream: true })).split("\n");
      partial = parts.pop() ?? "";
      lines.push(...parts);
    }
  })();
  return {
    lines: () => (partial === "" ? lines : [...lines, partial]),
    stop: () => child.kill(),
  };
}
