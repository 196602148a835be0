/**
 * The lab's starting point for speaker tests: a fresh cluster, the network namespaces, the Nodes,
 * the bundle, a controller and four speakers "as pods" (all ready), and the seed's pool and
 * L2Advertisement. One place, so every test starts from the same state the lab shows.
 * `{ l2Advertisement: false }` leaves the L2Advertisement out, as a BGP-only cluster has none: a
 * speaker that once opened its Layer 2 sockets and Worker keeps part of their memory after closing.
 */
import { join } from "node:path";
import { ensureCluster, kubectl, stopCluster } from "../cluster/cluster.ts";
import { registerNodes } from "../cluster/nodes.ts";
import { netDown, netDownOnSignals, netUp } from "../net/testbed.ts";
import { NODES } from "../net/topology.ts";
import { type RunningOperator, startOperator, stopOperator, waitReady } from "./operator.ts";

const ROOT = join(import.meta.dir, "..", "..");
const SEED = join(import.meta.dir, "seed");

async function ok(args: string[]): Promise<void> {
  const r = await kubectl(args);
  if (r.exitCode !== 0) throw new Error(`kubectl ${args.join(" ")}: ${r.stderr.trim()}`);
}

export async function seededTestbedUp(
  logLevel = "info",
  speakerEnv: Record<string, string> = {},
  options: { readonly l2Advertisement?: boolean } = {},
): Promise<RunningOperator> {
  netDownOnSignals();
  await stopCluster();
  const cluster = await ensureCluster();
  await netUp({ apiserverUnixSocket: cluster.apiserverUnixSocket });
  await registerNodes(NODES);
  await ok(["apply", "--server-side", "-f", join(ROOT, "deploy", "metalbun.yaml")]);
  await ok(["wait", "--for=condition=Established", "--timeout=60s", "-f", join(ROOT, "crds")]);
  const op = await startOperator(logLevel, speakerEnv);
  for (const n of NODES) {
    if (!(await waitReady(n.name))) throw new Error(`the speaker on ${n.name} never became ready`);
  }
  const seeded = [join(SEED, "ippool.yaml")];
  if (options.l2Advertisement ?? true) seeded.push(join(SEED, "l2advertisement.yaml"));
  await ok(["apply", ...seeded.flatMap((file) => ["-f", file])]);
  return op;
}

export async function seededTestbedDown(op: RunningOperator | undefined): Promise<void> {
  if (op) await stopOperator(op).catch(() => undefined);
  await netDown();
  await stopCluster();
}
