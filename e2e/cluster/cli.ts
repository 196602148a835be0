/**
 * `bun run cluster up|down|env|status|restart-apiserver`: the testbed cluster by hand.
 * `eval "$(bun run --silent cluster env)"` puts the pinned kubectl first on PATH and sets KUBECONFIG.
 */
import { clusterStatus, ensureCluster, recordedPlacement, restartApiserver, stopCluster } from "./cluster.ts";

const USAGE = "usage: bun run cluster up | down | env | status | restart-apiserver";

async function main(command: string | undefined): Promise<number> {
  switch (command) {
    case "up": {
      const started = performance.now();
      const h = await ensureCluster();
      console.error(`cluster ready in ${((performance.now() - started) / 1000).toFixed(1)} s: ${h.server}`);
      console.error(`kubeconfig: ${h.kubeconfig}`);
      return 0;
    }
    case "down":
      await stopCluster();
      console.error("cluster stopped; state removed");
      return 0;
    case "env": {
      // The running cluster wherever it runs (the real nodes' lab runs it on the control-plane node).
      const h = await ensureCluster({ placement: recordedPlacement() ?? "host" });
      console.log(`export KUBECONFIG=${h.kubeconfig}`);
      console.log(`export PATH=${h.binDir}:$PATH`);
      return 0;
    }
    case "status": {
      const { placement, daemons } = await clusterStatus();
      console.log(`placement: ${placement}`);
      for (const [name, up] of Object.entries(daemons)) console.log(`${name}: ${up ? "running" : "stopped"}`);
      return Object.values(daemons).every(Boolean) ? 0 : 1;
    }
    case "restart-apiserver":
      await restartApiserver();
      return 0;
    default:
      console.error(USAGE);
      return 2;
  }
}

process.exit(await main(process.argv[2]));
