/**
 * Reading a `docker save`-format archive back, the way an importer sees it: the manifest, the config
 * it names, and the entries of its layer. The tests hold what was built to what was meant with it.
 */
import { mkdirSync } from "node:fs";

export interface ArchiveManifestEntry {
  readonly Config: string;
  readonly RepoTags: readonly string[];
  readonly Layers: readonly string[];
}

export interface ArchivedImageConfig {
  readonly architecture: string;
  readonly os: string;
  readonly created: string;
  readonly config: { Entrypoint: string[]; Env: string[]; User: string; WorkingDir: string };
  readonly rootfs: { type: string; diff_ids: string[] };
}

export interface LayerEntry {
  /** Absolute, as inside the container: "/usr/local/bin/bun"; directories without a trailing "/". */
  readonly path: string;
  /** ls-style type and permissions, e.g. "-rwxr-xr-x" or "drwxrwxrwt". */
  readonly mode: string;
  /** "uid/gid" as stored. */
  readonly owner: string;
  readonly size: number;
}

export interface ReadImage {
  readonly manifest: readonly ArchiveManifestEntry[];
  readonly config: ArchivedImageConfig;
  readonly layers: readonly LayerEntry[][];
}

interface PipedProcess {
  readonly stdout: ReadableStream<Uint8Array>;
  readonly stderr: ReadableStream<Uint8Array>;
  readonly exited: Promise<number>;
}

async function collect(proc: PipedProcess): Promise<string> {
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  if (code !== 0) throw new Error(`tar failed (exit ${code}): ${stderr.trim()}`);
  return stdout;
}

/** One member of the archive, as text. */
export function archiveMember(archive: string, member: string): Promise<string> {
  return collect(Bun.spawn(["tar", "-xOf", archive, member], { stdout: "pipe", stderr: "pipe" }));
}

/** Runs `tar args…` with one member of the archive (a layer) as its input. */
async function onLayer(archive: string, layer: string, args: readonly string[]): Promise<string> {
  const member = Bun.spawn(["tar", "-xOf", archive, layer], { stdout: "pipe", stderr: "pipe" });
  const tar = Bun.spawn(["tar", ...args], { stdin: member.stdout, stdout: "pipe", stderr: "pipe" });
  // member's stdout is tar's stdin: only its stderr and exit status are ours to read.
  const [output, memberStderr, memberCode] = await Promise.all([
    collect(tar),
    new Response(member.stderr).text(),
    member.exited,
  ]);
  if (memberCode !== 0) throw new Error(`tar -xOf ${archive} ${layer} failed: ${memberStderr.trim()}`);
  return output;
}

export function parseTarListing(listing: string): LayerEntry[] {
  return listing
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => {
      const m = line.match(/^(\S+) (\S+)\s+(\d+) \S+ \S+ (.*)$/);
      if (!m) throw new Error(`unexpected tar listing line: ${line}`);
      const name = m[4]!.replace(/ -> .*$/, "");
      const path = `/${name.replace(/^\.\//, "").replace(/\/$/, "")}`;
      return { mode: m[1]!, owner: m[2]!, size: Number(m[3]), path };
    });
}

export async function readImageArchive(archive: string): Promise<ReadImage> {
  const manifest = JSON.parse(await archiveMember(archive, "manifest.json")) as ArchiveManifestEntry[];
  const image = manifest[0];
  if (manifest.length !== 1 || image === undefined)
    throw new Error(`${archive} holds ${manifest.length} images`);
  const config = JSON.parse(await archiveMember(archive, image.Config)) as ArchivedImageConfig;
  const layers: LayerEntry[][] = [];
  for (const layer of image.Layers) {
    layers.push(parseTarListing(await onLayer(archive, layer, ["-tv", "--numeric-owner"])));
  }
  return { manifest, config, layers };
}

/** Unpacks the archive's only layer into `dest`, modes included (as a runtime's snapshotter does). */
export async function extractLayer(archive: string, dest: string): Promise<void> {
  const manifest = JSON.parse(await archiveMember(archive, "manifest.json")) as ArchiveManifestEntry[];
  const layer = manifest[0]?.Layers[0];
  if (layer === undefined) throw new Error(`${archive} has no layer`);
  mkdirSync(dest, { recursive: true });
  await onLayer(archive, layer, ["-x", "-p", "-C", dest]);
}
