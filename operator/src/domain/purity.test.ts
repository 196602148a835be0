/**
 * domain/ is pure: no I/O, no clock, no rxjs. This test reads every file under it and fails on an
 * import of kube/, announcers/, pipeline/, membership/, observability/, node:*, bun:* or rxjs.
 */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { sourceFiles } from "../testing/source-files.ts";

const DOMAIN = import.meta.dir;
const FORBIDDEN = [
  /^node:/,
  /^bun(:|$)/,
  /^rxjs(\/|$)/,
  /(^|\/)kube(\/|$)/,
  /(^|\/)announcers(\/|$)/,
  /(^|\/)pipeline(\/|$)/,
  /(^|\/)membership(\/|$)/,
  /(^|\/)observability(\/|$)/,
  // Node built-ins without the node: prefix.
  /^(fs|path|os|net|dgram|child_process|crypto|http|https|worker_threads)(\/|$)/,
];
const IMPORT =
  /(?:import|export)\s[^'"]*?from\s*["']([^"']+)["']|import\s*\(\s*["']([^"']+)["']\s*\)|require\(\s*["']([^"']+)["']\s*\)/g;

test("domain/ imports nothing impure", () => {
  const offences: string[] = [];
  for (const file of sourceFiles(DOMAIN)) {
    for (const m of readFileSync(file, "utf8").matchAll(IMPORT)) {
      const spec = m[1] ?? m[2] ?? m[3] ?? "";
      const leavesDomain = spec.startsWith(".") && !join(file, "..", spec).startsWith(DOMAIN);
      if (FORBIDDEN.some((re) => re.test(spec)) || leavesDomain) {
        offences.push(`${relative(DOMAIN, file)} imports "${spec}"`);
      }
    }
  }
  expect(offences).toEqual([]);
});

test("the purity check itself catches an offending import", () => {
  const sample = 'import { x } from "rxjs";\nimport { y } from "../kube/client.ts";\n';
  const specs = [...sample.matchAll(IMPORT)].map((m) => m[1]);
  expect(specs.filter((s) => FORBIDDEN.some((re) => re.test(s ?? "")))).toEqual([
    "rxjs",
    "../kube/client.ts",
  ]);
});
