/**
 * `bun run cluster up|down|env|status|restart-apiserver`: the testbed cluster by hand.
 * `eval "$(bun run --silent cluster env)"` puts the pinned kubectl first on PATH and sets KUBECONFIG.
 */
import { clusterStatus, ensureCluster, restartApiserver, stopCluster } from "./cluster.ts";

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
      const h = await ensureCluster();
      console.log(`export KUBECONFIG=${h.kubeconfig}`);
      console.log(`export PATH=${h.binDir}:$PATH`);
      return 0;
    }
    case "status": {
      const status = await clusterStatus();
      for (const [name, up] of Object.entries(status)) console.log(`${name}: ${up ? "running" : "stopped"}`);
      return Object.values(status).every(Boolean) ? 0 : 1;
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
