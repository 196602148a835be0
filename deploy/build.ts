/**
 * The image's program: operator/src bundled into plain JavaScript for Bun, as deploy/Dockerfile
 * ships it, with the membership Worker as a second entry point. `bun build` copies no file that
 * is only named in `new Worker(url)`, so without that entry the image's speaker would fall back
 * to beating from its main thread (membership.ts). The output keeps the source layout relative
 * to operator/src: <outdir>/main.js and <outdir>/membership/worker.js.
 *
 *   bun deploy/build.ts [outdir]      (default: dist/image)
 *
 * The lab runs this same output (e2e/lab/operator.ts), so the tests exercise what ships.
 */
import { join } from "node:path";

const ROOT = join(import.meta.dir, "..");
const SOURCE = join(ROOT, "operator", "src");

export const ENTRY_POINTS = [join(SOURCE, "main.ts"), join(SOURCE, "membership", "worker.ts")];

/** Bundles into outdir; returns the path of main.js. Throws with Bun's messages when it fails. */
export async function buildImageProgram(outdir: string): Promise<string> {
  const result = await Bun.build({
    entrypoints: ENTRY_POINTS,
    root: SOURCE,
    outdir,
    target: "bun",
    minify: true,
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
