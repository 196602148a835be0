/**
 * The image's program: operator/src bundled into plain JavaScript for Bun, as deploy/Dockerfile
 * ships it, with the membership Worker and the BGP session Worker as entry points of their own.
 * `bun build` copies no file that is only named in `new Worker(url)`, so without them the image's
 * speaker would fall back to beating (membership.ts) and holding its BGP sessions
 * (announcers/bgp/session-worker-host.ts) on its main thread. The output keeps the source layout
 * relative to operator/src: <outdir>/main.js, <outdir>/membership/worker.js and
 * <outdir>/announcers/bgp/session-worker.js.
 *
 *   bun deploy/build.ts [outdir]      (default: dist/image)
 *
 * The lab runs this same output (e2e/lab/operator.ts), so the tests exercise what ships.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import type { BunPlugin } from "bun";

const ROOT = join(import.meta.dir, "..");
const SOURCE = join(ROOT, "operator", "src");

export const ENTRY_POINTS = [
  join(SOURCE, "main.ts"),
  join(SOURCE, "membership", "worker.ts"),
  join(SOURCE, "announcers", "bgp", "session-worker.ts"),
  join(SOURCE, "announcers", "bfd", "worker.ts"),
];

/**
 * rxjs from its ES2015 modules. Its package exports give the "node" condition, which Bun's bundler
 * takes for target "bun", the CommonJS build: all 220 modules of it (147 KB minified), every
 * operator created when the program starts. The ES2015 build is tree-shaken to what we use (17 KB).
 */
export const rxjsModules: BunPlugin = {
  name: "rxjs-es2015",
  setup(build) {
    const entry = join(dirname(require.resolve("rxjs/package.json")), "dist", "esm", "index.js");
    if (!existsSync(entry)) throw new Error(`rxjs's ES2015 build is not at ${entry}`);
    build.onResolve({ filter: /^rxjs$/ }, () => ({ path: entry }));
  },
};

/** Bundles into outdir; returns the path of main.js. Throws with Bun's messages when it fails. */
export async function buildImageProgram(outdir: string): Promise<string> {
  const result = await Bun.build({
    entrypoints: ENTRY_POINTS,
    root: SOURCE,
    outdir,
    target: "bun",
    minify: true,
    plugins: [rxjsModules],
  });
  if (!result.success) {
    throw new Error(`bun build failed:\n${result.logs.map((log) => String(log)).join("\n")}`);
  }
  return join(outdir, "main.js");
}

if (import.meta.main) {
  const outdir = process.argv[2] ?? join(ROOT, "dist", "image");
  console.log(await buildImageProgram(outdir));
}
