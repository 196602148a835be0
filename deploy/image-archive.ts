/**
 * A container image as a `docker save`-format tar (manifest.json, the config JSON, one layer tar),
 * written from a root file system directory with GNU tar. `ctr images import` and `docker load` both
 * take it, so no registry, Docker or buildah is needed to get an image into a node's runtime.
 *
 * Everything that could differ between two builds of the same tree is pinned: entry order, owners,
 * modification times, the tar format, and the config's timestamps. The same rootfs therefore always
 * gives the same layer digest and the same archive bytes.
 */
import { chmodSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/** What a container runtime needs to know to start the image (the config's `config` object). */
export interface ImageRunConfig {
  readonly entrypoint: readonly string[];
  readonly env: readonly string[];
  /** "uid:gid"; an empty string means root, as in Docker. */
  readonly user: string;
  readonly workingDir: string;
}

export interface ImageArchive {
  readonly ref: string;
  readonly path: string;
  /** sha256 of the uncompressed layer tar: the config's diff_id. */
  readonly layerDigest: string;
  /** sha256 of the config JSON: the image ID Docker and containerd show. */
  readonly configDigest: string;
  readonly bytes: number;
}

/** The epoch, so that a config carries no build time. */
const NO_TIME = "1970-01-01T00:00:00Z";

/** Flags that make GNU tar's output depend only on the tree's names, contents and modes. */
const DETERMINISTIC_TAR = [
  "--format=gnu",
  "--numeric-owner",
  "--owner=0",
  "--group=0",
  "--sort=name",
  "--mtime=@0",
];

/** The image config's architecture name for this machine (Go's GOARCH names, which OCI uses). */
export function imageArchitecture(arch: string = process.arch): string {
  const names: Record<string, string> = { x64: "amd64", arm64: "arm64", arm: "arm", ppc64: "ppc64le" };
  const name = names[arch];
  if (name === undefined) throw new Error(`no OCI architecture name for ${arch}`);
  return name;
}

export async function sha256OfFile(path: string): Promise<string> {
  const hasher = new Bun.CryptoHasher("sha256");
  for await (const chunk of Bun.file(path).stream()) hasher.update(chunk);
  return hasher.digest("hex");
}

/** Runs GNU tar with the deterministic flags; throws with its stderr when it fails. */
export async function deterministicTar(args: readonly string[]): Promise<void> {
  const proc = Bun.spawn(["tar", ...DETERMINISTIC_TAR, ...args], { stdout: "ignore", stderr: "pipe" });
  const [stderr, code] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
  if (code !== 0) throw new Error(`tar ${args.join(" ")} failed (exit ${code}): ${stderr.trim()}`);
}

/** The config JSON with its keys in a fixed order, so equal images serialise to equal bytes. */
export function imageConfigJson(run: ImageRunConfig, layerDigest: string, createdBy: string): string {
  return JSON.stringify({
    architecture: imageArchitecture(),
    os: "linux",
    created: NO_TIME,
    config: {
      Entrypoint: run.entrypoint,
      Env: run.env,
      User: run.user,
      WorkingDir: run.workingDir,
    },
    rootfs: { type: "layers", diff_ids: [`sha256:${layerDigest}`] },
    history: [{ created: NO_TIME, created_by: createdBy }],
  });
}

function fixModes(staging: string, layerDir: string, configFile: string): void {
  chmodSync(join(staging, layerDir), 0o755);
  for (const file of ["manifest.json", configFile, join(layerDir, "layer.tar")])
    chmodSync(join(staging, file), 0o644);
}

/**
 * Writes `rootfs` as the single layer of image `ref` to `outPath` (replaced atomically: a reader
 * never sees half an archive). `createdBy` goes into the history entry, where `docker history` shows it.
 */
export async function writeImageArchive(
  rootfs: string,
  ref: string,
  run: ImageRunConfig,
  outPath: string,
  createdBy: string,
): Promise<ImageArchive> {
  // Absolute, so that no path handed to tar depends on where its -C has taken it.
  const out = resolve(outPath);
  mkdirSync(dirname(out), { recursive: true });
  const staging = mkdtempSync(join(dirname(out), ".image-"));
  try {
    const layer = join(staging, "layer.tar");
    await deterministicTar(["-C", rootfs, "-cf", layer, "."]);
    const layerDigest = await sha256OfFile(layer);
    mkdirSync(join(staging, layerDigest));
    renameSync(layer, join(staging, layerDigest, "layer.tar"));

    const config = imageConfigJson(run, layerDigest, createdBy);
    const configDigest = new Bun.CryptoHasher("sha256").update(config).digest("hex");
    writeFileSync(join(staging, `${configDigest}.json`), config);
    const manifest = [
      { Config: `${configDigest}.json`, RepoTags: [ref], Layers: [`${layerDigest}/layer.tar`] },
    ];
    writeFileSync(join(staging, "manifest.json"), `${JSON.stringify(manifest)}\n`);

    // The umask must not reach the archive's own entries.
    fixModes(staging, layerDigest, `${configDigest}.json`);
    // Written beside the parts (on out's file system) and renamed: concurrent builds of the same
    // archive each rename a whole file, and the last one wins with identical bytes.
    const whole = join(staging, "image.tar");
    await deterministicTar([
      "-C",
      staging,
      "-cf",
      whole,
      "manifest.json",
      `${configDigest}.json`,
      layerDigest,
    ]);
    renameSync(whole, out);
    return { ref, path: out, layerDigest, configDigest, bytes: statSync(out).size };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
