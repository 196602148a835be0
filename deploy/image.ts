/**
 * The product image without Docker or a registry: the same image deploy/Dockerfile describes (Bun,
 * the bundle of deploy/build.ts at /metalbun, only the libraries Bun loads, a non-root user), written
 * as a `docker save`-format tar that `ctr -n k8s.io images import` loads into a node's containerd.
 *
 *   bun run build:image [outdir]      (default: dist/images; prints the archive's path)
 *
 * deploy/image.test.ts holds this recipe and the Dockerfile's to the same entrypoint, user and files.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildImageProgram } from "./build.ts";
import { addBunRuntime } from "./bun-runtime.ts";
import { type ImageArchive, type ImageRunConfig, writeImageArchive } from "./image-archive.ts";
import { addAccounts, addRuntimeDirectories, normalizeTreeModes } from "./rootfs.ts";

const ROOT = join(import.meta.dir, "..");
const VERSION = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;

/** The image deploy/metalbun.yaml runs (imagePullPolicy IfNotPresent: an imported image is used as is). */
export const METALBUN_IMAGE = `metalbun/metalbun:${VERSION}`;
export const METALBUN_ARCHIVE_NAME = `metalbun-${VERSION}.tar`;
export const DEFAULT_OUTDIR = join(ROOT, "dist", "images");

/** Where the bundle lives in the image, as in the Dockerfile's `COPY --from=build /out /metalbun`. */
export const PROGRAM_DIR = "/metalbun";

export const METALBUN_RUN: ImageRunConfig = {
  entrypoint: ["bun", `${PROGRAM_DIR}/main.js`],
  env: ["PATH=/usr/local/bin:/usr/bin:/bin"],
  // nobody, as the controller's Deployment runs it; the speaker's DaemonSet asks for root, which
  // its NET_RAW capability needs to be effective.
  user: "65534:65534",
  workingDir: "/",
};

/** Lays out the image's root file system in `root` (which must not exist yet or be empty). */
export async function writeMetalbunRootfs(root: string): Promise<void> {
  addRuntimeDirectories(root);
  addAccounts(root);
  await addBunRuntime(root);
  const program = join(root, PROGRAM_DIR);
  await buildImageProgram(program);
  normalizeTreeModes(program);
}

/** Builds the image into `outdir`/metalbun-<version>.tar. */
export async function buildMetalbunImage(outdir: string = DEFAULT_OUTDIR): Promise<ImageArchive> {
  const root = mkdtempSync(join(tmpdir(), "metalbun-rootfs-"));
  try {
    await writeMetalbunRootfs(root);
    return await writeImageArchive(
      root,
      METALBUN_IMAGE,
      METALBUN_RUN,
      join(outdir, METALBUN_ARCHIVE_NAME),
      "bun run build:image (deploy/image.ts)",
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

if (import.meta.main) {
  const outdir = process.argv[2] ?? DEFAULT_OUTDIR;
  const image = await buildMetalbunImage(outdir);
  console.error(`${image.ref}: ${(image.bytes / 1e6).toFixed(1)} MB, layer sha256:${image.layerDigest}`);
  console.log(image.path);
}
