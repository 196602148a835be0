/**
 * The images the testbed's real nodes import into containerd (`ctr -n k8s.io images import`, one
 * file per call), built without Docker or a registry:
 *   metalbun/metalbun:<version>   the product image, deploy/image.ts (what deploy/metalbun.yaml runs)
 *   metalbun-testbed/pause:1      the sandbox's first process, from build-node-binaries.sh's `pause`
 *   metalbun-testbed/webpod:1     the seed lab's whoami-like web pod, from ./webpod
 * Each archive is rebuilt only when what it is made of changes: a key over its inputs' contents is
 * kept beside it, so the second call for an unchanged tree costs hashing, not building.
 */
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { buildImageProgram } from "../../deploy/build.ts";
import { sharedLibrariesOf } from "../../deploy/bun-runtime.ts";
import { buildMetalbunImage, METALBUN_ARCHIVE_NAME, METALBUN_IMAGE } from "../../deploy/image.ts";
import { type ImageArchive, type ImageRunConfig, writeImageArchive } from "../../deploy/image-archive.ts";
import { addRuntimeDirectories, copyIntoRootfs } from "../../deploy/rootfs.ts";
import { nodeBinDir } from "./binaries.ts";

export const PAUSE_IMAGE = "metalbun-testbed/pause:1";
export const WEBPOD_IMAGE = "metalbun-testbed/webpod:1";

const ROOT = join(import.meta.dir, "..", "..");
const WEBPOD_SOURCE = join(import.meta.dir, "webpod");

export type TestbedImageRole = "metalbun" | "pause" | "webpod";

export interface TestbedImage {
  readonly role: TestbedImageRole;
  readonly ref: string;
  /** The docker-archive tar, for `ctr images import`. */
  readonly archive: string;
  readonly layerDigest: string;
}

/** The cache the shell build scripts use too (METALBUN_CACHE, else XDG_CACHE_HOME, else ~/.cache). */
function testbedCache(): string {
  const root =
    process.env.METALBUN_CACHE ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "metalbun");
  return join(root, "testbed");
}

/** An input of a build: the name it is known by (independent of where it lies) and its file. */
type Input = readonly [name: string, path: string];

/** sha256 over the inputs' names and contents, in the order given, after the literal parts. */
async function contentKey(inputs: readonly Input[], literals: readonly string[] = []): Promise<string> {
  const hasher = new Bun.CryptoHasher("sha256");
  for (const literal of literals) hasher.update(`${literal}\0`);
  for (const [name, path] of inputs) {
    hasher.update(`${name}\0`);
    for await (const chunk of Bun.file(path).stream()) hasher.update(chunk);
    hasher.update("\0");
  }
  return hasher.digest("hex");
}

/** The files under `dir`, named relative to it, sorted. */
function filesUnder(dir: string): Input[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((name) => statSync(join(dir, name)).isFile())
    .sort()
    .map((name) => [name, join(dir, name)]);
}

/** The recipe's code: a change to how images are laid out must not be hidden by a cached archive. */
function recipeSources(): Input[] {
  const deploy = filesUnder(join(ROOT, "deploy")).filter(([name]) => /^[\w-]+\.ts$/.test(name));
  const sources = deploy.filter(([name]) => !name.endsWith(".test.ts"));
  return [...sources, ["images.ts", join(import.meta.dir, "images.ts")]];
}

/**
 * `<dir>/<name>` unless its recorded key differs from `key` or it is gone; then `build` writes it
 * and the key is recorded. The record is written after the archive, so a crash in between only
 * costs a rebuild.
 */
async function cachedArchive(
  dir: string,
  name: string,
  key: string,
  build: (out: string) => Promise<ImageArchive>,
): Promise<ImageArchive> {
  const out = join(dir, name);
  const record = `${out}.key.json`;
  if (existsSync(record) && existsSync(out)) {
    const kept = JSON.parse(readFileSync(record, "utf8")) as { key: string; image: ImageArchive };
    if (kept.key === key && statSync(out).size === kept.image.bytes) return kept.image;
  }
  const image = await build(out);
  const partial = `${record}.${process.pid}`;
  writeFileSync(partial, JSON.stringify({ key, image }));
  renameSync(partial, record);
  return image;
}

/** The key of the product image: Bun and its libraries, the bundle it runs, the recipe. */
async function metalbunKey(): Promise<string> {
  const program = mkdtempSync(join(tmpdir(), "metalbun-image-key-"));
  try {
    await buildImageProgram(program);
    const libraries = await sharedLibrariesOf(process.execPath);
    const inputs: Input[] = [
      ["bun", process.execPath],
      ...libraries.map((library): Input => [library, library]),
      ...filesUnder(program),
      ["package.json", join(ROOT, "package.json")],
      ...recipeSources(),
    ];
    return await contentKey(inputs, [METALBUN_IMAGE]);
  } finally {
    rmSync(program, { recursive: true, force: true });
  }
}

/** An image of one static binary at /<name>, its entrypoint; no user set, so root unless the pod says otherwise. */
async function staticBinaryImage(
  binary: string,
  name: string,
  ref: string,
  out: string,
): Promise<ImageArchive> {
  const root = mkdtempSync(join(tmpdir(), `metalbun-${name}-rootfs-`));
  try {
    addRuntimeDirectories(root);
    copyIntoRootfs(root, binary, `/${name}`);
    const run: ImageRunConfig = {
      entrypoint: [`/${name}`],
      env: ["PATH=/usr/local/bin:/usr/bin:/bin"],
      user: "",
      workingDir: "/",
    };
    return await writeImageArchive(root, ref, run, out, "e2e/nodes/images.ts");
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** Builds ./webpod (static, no cgo) into the testbed cache, once per version of its source. */
export async function webpodBinary(): Promise<string> {
  const source = filesUnder(WEBPOD_SOURCE).filter(([name]) => name.endsWith(".go") || name === "go.mod");
  const key = (await contentKey(source)).slice(0, 16);
  const dir = join(testbedCache(), `webpod-${key}`);
  const binary = join(dir, "webpod");
  if (existsSync(binary)) return binary;
  mkdirSync(dir, { recursive: true });
  const partial = `${binary}.${process.pid}`;
  const go = Bun.spawn(["go", "build", "-trimpath", "-ldflags", "-s -w", "-o", partial, "."], {
    cwd: WEBPOD_SOURCE,
    env: { ...process.env, CGO_ENABLED: "0" },
    stdout: "ignore",
    stderr: "pipe",
  });
  const [stderr, code] = await Promise.all([new Response(go.stderr).text(), go.exited]);
  if (code !== 0) throw new Error(`go build of e2e/nodes/webpod failed (exit ${code}): ${stderr.trim()}`);
  renameSync(partial, binary);
  return binary;
}

const entry = (role: TestbedImageRole, image: ImageArchive): TestbedImage => ({
  role,
  ref: image.ref,
  archive: image.path,
  layerDigest: image.layerDigest,
});

/** Writes the three archives into `dir` (reusing those whose inputs did not change). */
export async function buildTestbedImages(dir: string): Promise<TestbedImage[]> {
  mkdirSync(dir, { recursive: true });
  const recipe = recipeSources();
  const metalbun = (async () =>
    cachedArchive(dir, METALBUN_ARCHIVE_NAME, await metalbunKey(), () => buildMetalbunImage(dir)))();
  const pause = (async () => {
    const binary = join(await nodeBinDir(), "pause");
    const key = await contentKey([["pause", binary], ...recipe], [PAUSE_IMAGE]);
    return cachedArchive(dir, "pause.tar", key, (out) =>
      staticBinaryImage(binary, "pause", PAUSE_IMAGE, out),
    );
  })();
  const webpod = (async () => {
    const binary = await webpodBinary();
    const key = await contentKey([["webpod", binary], ...recipe], [WEBPOD_IMAGE]);
    return cachedArchive(dir, "webpod.tar", key, (out) =>
      staticBinaryImage(binary, "webpod", WEBPOD_IMAGE, out),
    );
  })();
  const [metalbunImage, pauseImage, webpodImage] = await Promise.all([metalbun, pause, webpod]);
  return [entry("metalbun", metalbunImage), entry("pause", pauseImage), entry("webpod", webpodImage)];
}

let built: Promise<TestbedImage[]> | undefined;

/** The three images in the testbed cache, built or checked once per process. */
export function testbedImages(): Promise<TestbedImage[]> {
  built ??= buildTestbedImages(join(testbedCache(), "images"));
  return built;
}
