/**
 * A speaker pod's own process, seen from outside: which PID runs the speaker program (the pod's
 * PID is its unshare/sh wrapper), its resident memory and CPU ticks from /proc, and what its
 * /debug/memory says. Shared by the benches that measure a speaker's footprint.
 */
import { readdirSync, readFileSync } from "node:fs";
import { HEALTH_PORT } from "../lab/operator.ts";
import { execIn } from "../net/exec.ts";
import { run } from "../net/run.ts";

export function procStats(pid: number): { rssMb: number; cpuTicks: number } {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return {
    rssMb: Math.round(Number(status.match(/VmRSS:\s+(\d+)/)?.[1] ?? 0) / 102.4) / 10,
    cpuTicks: Number(stat[11]) + Number(stat[12]),
  };
}

/** The names of a process's threads, sorted (which Workers run: membership, l2-receive, bgp). */
function threadNames(pid: number): string[] {
  try {
    return readdirSync(`/proc/${pid}/task`)
      .map((tid) => readFileSync(`/proc/${pid}/task/${tid}/comm`, "utf8").trim())
      .sort();
  } catch {
    return [];
  }
}

/** Whether a process runs this component of the program (argv: bun <program> <component> ...). */
function runsComponent(pid: number, component: string): boolean {
  const argv = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0");
  return argv[0]?.endsWith("bun") === true && argv[2] === component;
}

/** The bun process of a pod: the pod's pid is the unshare/sh wrapper; find its bun descendant. */
export async function componentPid(podPid: number, component: "speaker" | "controller"): Promise<number> {
  if (runsComponent(podPid, component)) return podPid;
  const r = await run(["pgrep", "-P", String(podPid)]);
  const children = r.stdout.trim().split("\n").filter(Boolean).map(Number);
  for (const child of children) {
    if (runsComponent(child, component)) return child;
    const deeper = await componentPid(child, component).catch(() => undefined);
    if (deeper !== undefined) return deeper;
  }
  throw new Error(`no ${component} process under ${podPid}`);
}

export const speakerPid = (podPid: number): Promise<number> => componentPid(podPid, "speaker");

/**
 * A speaker's resident memory split, anonymous (heaps, allocator) and file-backed (mostly the bun
 * executable's own pages, shared with every other process running it), and what that memory is
 * (observability/memory.ts): on stderr, for the issue notes, not metrics.
 */
export async function printMemory(label: string, node: string, pid: number): Promise<void> {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  console.error(
    `[${label}] ${status
      .match(/RssAnon:.*|RssFile:.*/g)
      ?.join(", ")
      .replace(/\s+/g, " ")}`,
  );
  const report = await execIn(node, ["curl", "-s", `http://127.0.0.1:${HEALTH_PORT}/debug/memory`]);
  console.error(`[${label}] /debug/memory of ${node}'s speaker: ${report.stdout.trim()}`);
  console.error(`[${label}] threads: ${threadNames(pid).join(" ")}`);
}
