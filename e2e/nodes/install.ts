/**
 * The install a user does on the real nodes: `kubectl apply --server-side -f deploy/metalbun.yaml`,
 * the CRDs established, the seed's webpod Deployment, and every workload rolled out. One place for
 * the lab, the bundle's e2e test and the real-node bench.
 */
import { join } from "node:path";
import { kubectl } from "../cluster/cluster.ts";

const ROOT = join(import.meta.dir, "..", "..");

export interface Installed {
  /** What `kubectl apply` of the bundle printed. */
  readonly applied: string;
  /** Workloads not rolled out in time, with kubectl's message (empty when all are up). */
  readonly notRolledOut: string[];
}

async function ok(args: string[]): Promise<string> {
  const r = await kubectl(args);
  if (r.exitCode !== 0) throw new Error(`kubectl ${args.join(" ")}: ${r.stderr.trim()}`);
  return r.stdout;
}

export async function installBundleAndWebpods(): Promise<Installed> {
  const applied = await ok(["apply", "--server-side", "-f", join(ROOT, "deploy", "metalbun.yaml")]);
  await ok(["wait", "--for=condition=Established", "--timeout=60s", "-f", join(ROOT, "crds")]);
  await ok(["apply", "-f", join(ROOT, "e2e", "lab", "seed", "webpod.yaml")]);
  const notRolledOut: string[] = [];
  for (const [namespace, workload] of [
    ["metallb-system", "deployment/controller"],
    ["metallb-system", "daemonset/speaker"],
    ["default", "deployment/webpod"],
  ] as const) {
    const r = await kubectl(["rollout", "status", workload, "-n", namespace, "--timeout=180s"]);
    if (r.exitCode !== 0) notRolledOut.push(`${workload}: ${(r.stderr || r.stdout).trim()}`);
  }
  return { applied, notRolledOut };
}

/** The same, throwing when a workload did not come up (tests and benches). */
export async function installedBundleAndWebpods(): Promise<void> {
  const { notRolledOut } = await installBundleAndWebpods();
  if (notRolledOut.length > 0) throw new Error(`not rolled out: ${notRolledOut.join("; ")}`);
}
