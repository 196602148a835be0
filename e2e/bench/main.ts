/** `bun run bench <name>`: runs one benchmark; each prints JSON lines on stdout. */
import { controllerBench } from "./controller.ts";

const BENCHES: Record<string, () => Promise<void>> = {
  controller: controllerBench,
};

const name = process.argv[2];
const bench = name ? BENCHES[name] : undefined;
if (!bench) {
  console.error(`usage: bun run bench <${Object.keys(BENCHES).join("|")}>`);
  process.exit(2);
}
await bench();
