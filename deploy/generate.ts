/** `bun run bundle` writes deploy/metalbun.yaml; `bun run bundle --check` fails if it is stale. */
import { readFileSync, writeFileSync } from "node:fs";
import { BUNDLE_PATH, bundleText } from "./bundle.ts";

const wanted = bundleText();
if (process.argv.includes("--check")) {
  const current = readFileSync(BUNDLE_PATH, "utf8");
  if (current !== wanted) {
    console.error("deploy/metalbun.yaml is stale: run `bun run bundle` and commit the result");
    process.exit(1);
  }
  console.error("deploy/metalbun.yaml is up to date");
} else {
  writeFileSync(BUNDLE_PATH, wanted);
  console.error(`wrote ${BUNDLE_PATH}`);
}
