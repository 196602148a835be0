/**
 * `kubectl metalbun explain` as a user runs it in the lab: kubectl finds the plugin
 * (bin/kubectl-metalbun) on PATH and passes it the words after `metalbun`; plugins get no
 * --kubeconfig flag, so the lab's kubeconfig goes through KUBECONFIG.
 */
import { join } from "node:path";
import { binDir } from "../cluster/cluster.ts";
import { clusterFiles } from "../cluster/paths.ts";

const ROOT = join(import.meta.dir, "..", "..");

export interface ExplainAnswer {
  readonly exitCode: number;
  readonly firstLine: string;
  readonly stdout: string;
}

/** `kubectl metalbun explain ARGS`; exit code 2 (usage, connection) throws with its stderr. */
export async function kubectlMetalbunExplain(
  args: readonly string[],
  kubeconfig: string = clusterFiles.kubeconfig,
): Promise<ExplainAnswer> {
  const child = Bun.spawn([join(await binDir(), "kubectl"), "metalbun", "explain", ...args], {
    env: { ...process.env, KUBECONFIG: kubeconfig, PATH: `${join(ROOT, "bin")}:${process.env.PATH}` },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(child.stdout).text(),
    new Response(child.stderr).text(),
    child.exited,
  ]);
  if (exitCode === 2) throw new Error(`kubectl metalbun explain ${args.join(" ")}: ${stderr.trim()}`);
  return { exitCode, firstLine: stdout.split("\n")[0] ?? "", stdout };
}
