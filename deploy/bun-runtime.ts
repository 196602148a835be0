/**
 * Bun in an image's rootfs: the binary that runs this build, at /usr/local/bin/bun (where the
 * oven/bun images keep it), and the shared libraries it loads, at the paths its loader looks for
 * them. Bun is linked against glibc, so those few libraries are the whole runtime it needs.
 */
import { readFileSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { copyIntoRootfs } from "./rootfs.ts";

const ROOT = join(import.meta.dir, "..");

export const BUN_IN_IMAGE = "/usr/local/bin/bun";

/**
 * The Bun version the project pins: package.json's engines and ./dev's BUN_VERSION, which must agree.
 * The image ships the same Bun the tests ran on.
 */
export function pinnedBunVersion(): string {
  const engines = (
    JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { engines: { bun: string } }
  ).engines.bun;
  const fromEngines = engines.replace(/^[>=^~\s]+/, "");
  const fromDev = readFileSync(join(ROOT, "dev"), "utf8").match(/^BUN_VERSION=(\S+)$/m)?.[1];
  if (fromDev !== fromEngines) {
    throw new Error(`./dev pins Bun ${fromDev}, package.json's engines ${engines}: make them agree`);
  }
  return fromEngines;
}

/** The absolute library paths in `ldd` output, the loader included; the vDSO has none and is skipped. */
export function lddPaths(output: string): string[] {
  const paths: string[] = [];
  for (const line of output.split("\n")) {
    const path = line.match(/=>\s*(\/\S+)/)?.[1] ?? line.match(/^\s*(\/\S+)/)?.[1];
    if (path !== undefined) paths.push(path);
  }
  return paths;
}

export async function sharedLibrariesOf(binary: string): Promise<string[]> {
  const proc = Bun.spawn(["ldd", binary], { stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  if (code !== 0) throw new Error(`ldd ${binary} failed (exit ${code}): ${stderr.trim()}`);
  if (stdout.includes("not found")) throw new Error(`ldd ${binary}: a library is missing\n${stdout}`);
  return lddPaths(stdout);
}

/**
 * Copies the running Bun and its libraries into `root`; returns the image paths it wrote. Refuses a
 * Bun other than the pinned one, since the image would then run what no test ran.
 */
export async function addBunRuntime(root: string): Promise<string[]> {
  const bun = process.execPath;
  const pinned = pinnedBunVersion();
  if (Bun.version !== pinned) {
    throw new Error(`the image needs Bun ${pinned} (package.json, ./dev); this is Bun ${Bun.version}`);
  }
  copyIntoRootfs(root, bun, BUN_IN_IMAGE);
  const libraries = await sharedLibrariesOf(realpathSync(bun));
  for (const library of libraries) copyIntoRootfs(root, library, library);
  return [BUN_IN_IMAGE, ...libraries];
}
