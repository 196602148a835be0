/** Leaves nothing behind: the lab's network namespaces and their processes, then the cluster. */
import { stopCluster } from "./cluster/cluster.ts";
import { netDown } from "./net/testbed.ts";

await netDown();
await stopCluster();
console.error("testbed torn down");
