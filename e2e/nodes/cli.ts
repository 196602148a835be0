/**
 * `bun run nodes up [--proxy-mode=iptables|nftables] | down | status`: the testbed as real
 * Kubernetes nodes, by hand (real-cluster.ts). `eval "$(bun run --silent cluster env)"` then gives
 * kubectl for it.
 */
import { clusterStatus } from "../cluster/cluster.ts";
import { NODES } from "../net/topology.ts";
import type { ProxyMode } from "./configs.ts";
import { controllersRunning } from "./control-plane.ts";
import { nodeRunning } from "./node.ts";
import { readyNodes, realClusterDown, realClusterUp } from "./real-cluster.ts";

const USAGE = "usage: bun run nodes up [--proxy-mode=iptables|nftables] | down | status";

function proxyModeArg(): ProxyMode {
  const arg = process.argv.find((a) => a.startsWith("--proxy-mode="));
  const mode = arg?.slice("--proxy-mode=".length) ?? "iptables";
  if (mode !== "iptables" && mode !== "nftables")
    throw new Error(`unknown kube-proxy mode ${mode}; ${USAGE}`);
  return mode;
}

async function main(command: string | undefined): Promise<number> {
  switch (command) {
    case "up": {
      const started = performance.now();
      await realClusterUp({ proxyMode: proxyModeArg() });
      console.error(`real nodes Ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      console.error('kubectl: eval "$(bun run --silent cluster env)"');
      return 0;
    }
    case "down":
      await realClusterDown();
      console.error("real nodes, cluster and network removed");
      return 0;
    case "status": {
      const cluster = await clusterStatus();
      const apiserverUp = cluster.daemons["kube-apiserver"] === true;
      const ready = apiserverUp ? await readyNodes() : [];
      console.log(`cluster: ${cluster.placement}, apiserver ${apiserverUp ? "ready" : "down"}`);
      for (const [name, up] of Object.entries(controllersRunning()))
        console.log(`${name}: ${up ? "running" : "stopped"}`);
      for (const n of NODES) {
        console.log(
          `${n.name}: ${nodeRunning(n.name) ? "running" : "stopped"}${ready.includes(n.name) ? ", Ready" : ""}`,
        );
      }
      return 0;
    }
    default:
      console.error(USAGE);
      return 2;
  }
}

process.exit(await main(process.argv[2]));
