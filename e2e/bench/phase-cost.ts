/**
 * What a bench phase cost the testbed: CPU seconds of the apiserver, etcd and the named processes,
 * and the apiserver's requests by verb, resource and code (its own apiserver_request_total).
 * For the issue notes ("where does the cold start go"): printed on stderr, not a metric.
 */
import { readdirSync, readFileSync } from "node:fs";
import { kubectl } from "../cluster/cluster.ts";
import { clusterFiles } from "../cluster/paths.ts";
import { livePid } from "../cluster/process.ts";

const TICKS_PER_SECOND = 100;

function cpuTicks(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(") ") + 2).split(" ");
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

/** CPU seconds per thread name (threads of one name summed), over the process's life. */
export function threadSeconds(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  try {
    for (const tid of readdirSync(`/proc/${pid}/task`)) {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8");
      const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const fields = stat.slice(stat.lastIndexOf(") ") + 2).split(" ");
      out[name] = (out[name] ?? 0) + (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
    }
  } catch {
    // The process or a thread ended meanwhile: what was read is still worth printing.
  }
  return out;
}

async function requestCounts(): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  const text = (await kubectl(["get", "--raw", "/metrics"])).stdout;
  for (const line of text.split("\n")) {
    if (!line.startsWith("apiserver_request_total{")) continue;
    const labels = Object.fromEntries(
      [...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]] as [string, string]),
    );
    if (labels.resource === undefined || labels.resource === "") continue;
    const key = `${labels.verb} ${labels.resource}${labels.subresource ? `/${labels.subresource}` : ""} ${labels.code}`;
    out.set(key, (out.get(key) ?? 0) + Number(line.slice(line.lastIndexOf(" ") + 1)));
  }
  return out;
}

export interface PhaseCost {
  /** Counts a process started during the phase (all of its CPU time). */
  track(name: string, pid: number): void;
  end(): Promise<void>;
}

/** Starts counting; `end()` prints what the phase cost. `others` names more processes to count. */
export async function phaseCost(
  label: string,
  others: Record<string, number | undefined> = {},
): Promise<PhaseCost> {
  const pids: Record<string, number | undefined> = {
    apiserver: livePid(clusterFiles.pids, "kube-apiserver"),
    etcd: livePid(clusterFiles.pids, "etcd"),
    bench: process.pid,
    ...others,
  };
  const ticksBefore = Object.fromEntries(Object.entries(pids).map(([k, pid]) => [k, cpuTicks(pid)]));
  const requestsBefore = await requestCounts();
  const started = performance.now();
  const tracked = new Map<string, number>();
  return {
    track(name, pid) {
      pids[name] = pid;
      tracked.set(name, pid);
      ticksBefore[name] = 0;
    },
    async end() {
      const seconds = (performance.now() - started) / 1000;
      const cpu = Object.fromEntries(
        Object.entries(pids).map(([k, pid]) => [k, (cpuTicks(pid) - ticksBefore[k]!) / TICKS_PER_SECOND]),
      );
      const threads = [...tracked].map(([name, pid]) => `${name} ${JSON.stringify(threadSeconds(pid))}`);
      const after = await requestCounts();
      const requests = Object.fromEntries(
        [...after]
          .map(([k, v]) => [k, v - (requestsBefore.get(k) ?? 0)] as const)
          .filter(([, v]) => v > 0)
          .sort((a, b) => b[1] - a[1])
          .slice(0, 12),
      );
      console.error(
        `[cost ${label}] ${seconds.toFixed(2)} s; CPU s ${JSON.stringify(cpu)}; requests ${JSON.stringify(requests)}; CPU s by thread: ${threads.join("; ")}`,
      );
    },
  };
}
