/** `bun run bench <name>`: runs one benchmark; each prints JSON lines on stdout. */
import { bgpBench } from "./bgp.ts";
import { bgpNodesBench } from "./bgp-nodes.ts";
import { controllerBench } from "./controller.ts";
import { l2Bench } from "./l2.ts";
import { l2NodesBench } from "./l2-nodes.ts";
import { peersBench } from "./peers.ts";

const BENCHES: Record<string, () => Promise<void>> = {
  bgp: bgpBench,
  "bgp-nodes": bgpNodesBench,
  controller: controllerBench,
  l2: l2Bench,
  "l2-nodes": l2NodesBench,
  peers: peersBench,
};

const name = process.argv[2];
const bench = name ? BENCHES[name] : undefined;
if (!bench) {
  console.error(`usage: bun run bench <${Object.keys(BENCHES).join("|")}>`);
  process.exit(2);
}
await bench();
