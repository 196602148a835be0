/**
 * `kubectl logs -f` of every speaker pod running now, kept until each pod ends: what a leaving
 * speaker logs during its planned stop, which `kubectl logs` can no longer read once the rollout
 * deleted the pod.
 */
import { join } from "node:path";
import { binDir, kubectl } from "../cluster/cluster.ts";
import { clusterFiles } from "../cluster/paths.ts";
import { SPEAKER_NAMESPACE } from "./speaker-pods.ts";

export interface FollowedSpeakerLogs {
  /** Every JSON line logged so far, by pod name. */
  lines(): Map<string, readonly Record<string, unknown>[]>;
  /** Waits until every followed pod's stream ended (the pod is gone), at most timeoutMs; then stops. */
  ended(timeoutMs: number): Promise<void>;
}

export async function followSpeakerLogs(): Promise<FollowedSpeakerLogs> {
  const r = await kubectl(["get", "pods", "-n", SPEAKER_NAMESPACE, "-l", "component=speaker", "-o", "name"]);
  if (r.exitCode !== 0) throw new Error(`kubectl get speaker pods: ${r.stderr.trim()}`);
  const pods = r.stdout.split("\n").filter((line) => line.startsWith("pod/"));
  const bin = await binDir();
  const byPod = new Map<string, Record<string, unknown>[]>();
  const streams = pods.map((pod) => {
    const name = pod.slice("pod/".length);
    const lines: Record<string, unknown>[] = [];
    byPod.set(name, lines);
    const proc = Bun.spawn(
      [
        join(bin, "kubectl"),
        `--kubeconfig=${clusterFiles.kubeconfig}`,
        "logs",
        "-f",
        "-n",
        SPEAKER_NAMESPACE,
        name,
      ],
      { stdout: "pipe", stderr: "ignore" },
    );
    const reading = (async () => {
      let rest = "";
      const decoder = new TextDecoder();
      for await (const chunk of proc.stdout) {
        rest += decoder.decode(chunk, { stream: true });
        const complete = rest.split("\n");
        rest = complete.pop() ?? "";
        for (const line of complete) {
          if (!line.startsWith("{")) continue;
          try {
            lines.push(JSON.parse(line) as Record<string, unknown>);
          } catch {
            // A line cut by the stream's end: nothing this helper reads.
          }
        }
      }
    })();
    return { proc, reading };
  });
  return {
    lines: () => byPod,
    ended: async (timeoutMs) => {
      await Promise.race([Promise.all(streams.map((s) => s.reading)), Bun.sleep(timeoutMs)]);
      for (const s of streams) s.proc.kill();
    },
  };
}
