/**
 * `bun run lab`: the seed lab (docs/lab.md) on one machine, step by step, with metalbun
 * in place of MetalLB: the seed's nodes as real Kubernetes nodes in network namespaces (e2e/nodes),
 * `mypc` beside them, the bundle applied with kubectl, the controller and the speakers the
 * bundle's pods. It then stays up for exploring until Ctrl-C or
 * SIGTERM, and cleans everything. `bun run lab --ci` runs the same steps unattended, prints one line
 * per step, cleans up and exits non-zero if any step failed. `--bgp` runs the BGP edition instead
 * (bgp-steps.ts): FRR in `router` peers with every node and routes the pool to them by ECMP.
 */
import { realClusterDown } from "../nodes/real-cluster.ts";
import { removeClientPoolRoutes } from "../peers/routing.ts";
import { bgpExplore, bgpLabSteps } from "./bgp-steps.ts";
import { type LabContext, labSteps } from "./steps.ts";

const ci = process.argv.includes("--ci");
const bgp = process.argv.includes("--bgp");
const ctx: LabContext = {};

const l2Explore = `
Explore it:
  eval "$(bun run --silent cluster env)"      # kubectl of the testbed, admin kubeconfig
  kubectl get ipaddresspools,l2advertisements -n metallb-system
  kubectl get nodes -o wide; kubectl get pods -A -o wide
  kubectl logs -n metallb-system daemonset/speaker
  ip netns list                                # the nodes, mypc, router, the bridge
  ip netns exec mypc arping -c 3 -I eth0 172.18.255.200
  ip netns exec mypc curl -s http://172.18.255.200/
  ip netns exec myk8s-worker iptables-save -t nat | grep 172.18.255.200   # kube-proxy's DNAT
Each node's kubelet, containerd and kube-proxy logs: /tmp/metalbun/nodes/<node>/logs/
`;

let cleaning: Promise<void> | undefined;

/** One clean-up however many ask for it (a signal can arrive while the steps' own end cleans up). */
function cleanup(): Promise<void> {
  cleaning ??= cleanupOnce();
  return cleaning;
}

async function cleanupOnce(): Promise<void> {
  if (ctx.frr) {
    await removeClientPoolRoutes().catch(() => undefined);
    await ctx.frr.stop().catch((e) => console.error(`lab: router stop failed: ${e}`));
  }
  await realClusterDown().catch((e) => console.error(`lab: cleanup failed: ${e}`));
}

let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    interrupted = true;
    console.error(`\nlab: ${signal}, cleaning up`);
    void cleanup().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
  });
}

let failed = 0;
for (const step of bgp ? bgpLabSteps : labSteps) {
  if (interrupted) break;
  if (!ci) console.log(`\n== Step ${step.n}: ${step.title}`);
  let outcome: { ok: boolean; summary: string; detail?: string };
  try {
    outcome = await step.run(ctx);
  } catch (error) {
    outcome = { ok: false, summary: (error as Error).message };
  }
  if (!outcome.ok) failed++;
  if (ci) {
    console.log(`step ${step.n} ${outcome.ok ? "ok" : "FAILED"}: ${step.title}: ${outcome.summary}`);
    if (!outcome.ok && outcome.detail) console.error(outcome.detail);
  } else {
    if (outcome.detail) console.log(outcome.detail.trimEnd());
    console.log(`${outcome.ok ? "✔" : "✘"} ${outcome.summary}`);
  }
  if (!outcome.ok) break;
}

if (ci || failed > 0) {
  await cleanup();
  console.log(failed === 0 ? "lab ok" : `lab FAILED (${failed} step failed)`);
  process.exit(failed === 0 ? 0 : 1);
}

console.log(bgp ? bgpExplore : l2Explore);
console.log("lab ready: press Ctrl-C to stop and clean up");
await new Promise(() => undefined);
