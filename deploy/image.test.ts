import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { parseAllDocuments } from "yaml";
import { buildImageProgram } from "./build.ts";
import { BUN_IN_IMAGE, pinnedBunVersion, sharedLibrariesOf } from "./bun-runtime.ts";
import { BUNDLE_PATH } from "./bundle.ts";
import { buildMetalbunImage, METALBUN_IMAGE } from "./image.ts";
import type { ImageArchive } from "./image-archive.ts";
import { extractLayer, type LayerEntry, type ReadImage, readImageArchive } from "./image-archive-reader.ts";

const DOCKERFILE = join(import.meta.dir, "Dockerfile");

interface DockerStage {
  readonly from: string;
  readonly name?: string;
  /** Instructions in order: [keyword, the rest of the line]. */
  readonly instructions: Array<[string, string]>;
}

/** The Dockerfile's stages, enough of it to compare: continuation lines joined, comments dropped. */
function dockerStages(text: string): DockerStage[] {
  const stages: DockerStage[] = [];
  const lines = text.replace(/\\\n/g, " ").split("\n");
  for (const line of lines.map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"))) {
    const [, keyword = "", rest = ""] = line.match(/^(\S+)\s+(.*)$/) ?? [];
    if (keyword.toUpperCase() === "FROM") {
      const [from = "", , name] = rest.split(/\s+/);
      stages.push(name === undefined ? { from, instructions: [] } : { from, name, instructions: [] });
    } else {
      stages.at(-1)?.instructions.push([keyword.toUpperCase(), rest]);
    }
  }
  return stages;
}

const lastOf = (stage: DockerStage, keyword: string) =>
  stage.instructions.filter(([k]) => k === keyword).at(-1)?.[1];

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((name) => statSync(join(dir, name)).isFile())
    .map((name) => relative(dir, join(dir, name)))
    .sort();
}

const stages = dockerStages(readFileSync(DOCKERFILE, "utf8"));
const finalStage = stages.at(-1)!;
const buildStage = stages.find((s) => s.name === "build")!;

const work = mkdtempSync(join(tmpdir(), "metalbun-image-test-"));
let image: ImageArchive;
let read: ReadImage;
let layer: LayerEntry[];
let bundleFiles: string[];
const rootfs = join(work, "rootfs");

beforeAll(async () => {
  image = await buildMetalbunImage(join(work, "first"));
  read = await readImageArchive(image.path);
  layer = read.layers[0]!;
  await extractLayer(image.path, rootfs);
  const program = join(work, "program");
  await buildImageProgram(program);
  bundleFiles = filesUnder(program);
}, 60_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

const entry = (path: string) => layer.find((e) => e.path === path);

describe("deploy/Dockerfile and `bun run build:image` describe the same image", () => {
  test("the Dockerfile parses into a build stage and a final stage", () => {
    expect(stages.map((s) => s.from)).toEqual(["oven/bun:1.4.5", "oven/bun:1.4.5-distroless"]);
    expect(lastOf(buildStage, "RUN")).toMatch(/^bun deploy\/build\.ts \S+$/);
  });

  test("the same entrypoint and the same non-root user", () => {
    expect(read.config.config.Entrypoint).toEqual(JSON.parse(lastOf(finalStage, "ENTRYPOINT")!));
    const user = lastOf(finalStage, "USER");
    expect(read.config.config.User).toBe(user!);
    const [uid, gid] = user!.split(":").map(Number);
    expect(uid).not.toBe(0);
    expect(gid).not.toBe(0);
  });

  test("the bundle deploy/build.ts writes is where the Dockerfile copies it, file for file", () => {
    const out = lastOf(buildStage, "RUN")!.split(/\s+/).at(-1)!;
    const copy = finalStage.instructions.find(
      ([k, rest]) => k === "COPY" && rest.startsWith("--from=build "),
    );
    const [source, destination] = copy![1].split(/\s+/).slice(1);
    expect(source).toBe(out);
    expect(bundleFiles).toEqual([
      "announcers/bfd/worker.js",
      "announcers/bgp/session-worker.js",
      "main.js",
      "membership/worker.js",
    ]);
    for (const file of bundleFiles) {
      const inLayer = entry(`${destination}/${file}`);
      expect(inLayer?.size).toBe(statSync(join(work, "program", file)).size);
    }
  });

  test("the entrypoint's program is in the layer and its interpreter is on the image's PATH", () => {
    const [program, script] = read.config.config.Entrypoint;
    expect(entry(script!)?.mode).toBe("-rw-r--r--");
    const path = read.config.config.Env.find((e) => e.startsWith("PATH="))!
      .slice(5)
      .split(":");
    const found = path.map((dir) => entry(`${dir}/${program}`)).filter((e) => e !== undefined);
    expect(found.map((e) => e.path)).toEqual([BUN_IN_IMAGE]);
    expect(found[0]!.mode).toBe("-rwxr-xr-x");
  });

  test("the Dockerfile's Bun is the pinned one, which the image ships", () => {
    const tag = finalStage.from.match(/^oven\/bun:(\d+\.\d+\.\d+)-distroless$/)?.[1];
    expect(tag).toBe(pinnedBunVersion());
    expect(Bun.version).toBe(tag!);
    expect(entry(BUN_IN_IMAGE)?.size).toBe(statSync(process.execPath).size);
  });
});

describe("the built image", () => {
  test("is tagged with the name deploy/metalbun.yaml runs, and its config is the layer's", () => {
    expect(read.manifest[0]!.RepoTags).toEqual([METALBUN_IMAGE]);
    const images = [...readFileSync(BUNDLE_PATH, "utf8").matchAll(/^\s*image: (\S+)$/gm)].map((m) => m[1]);
    expect(images.length).toBe(2);
    for (const name of images) expect(name).toBe(METALBUN_IMAGE);
    expect(read.config.rootfs.diff_ids).toEqual([`sha256:${image.layerDigest}`]);
    expect(read.config.created).toBe("1970-01-01T00:00:00Z");
  });

  test("holds Bun, the libraries ldd lists for it, the accounts and the bundle, and nothing else", async () => {
    const libraries = await sharedLibrariesOf(process.execPath);
    expect(libraries).toContain("/lib64/ld-linux-x86-64.so.2");
    const expected = [
      BUN_IN_IMAGE,
      ...libraries,
      "/etc/passwd",
      "/etc/group",
      ...bundleFiles.map((f) => `/metalbun/${f}`),
    ].sort();
    const files = layer.filter((e) => !e.mode.startsWith("d")).map((e) => e.path);
    expect(files.sort()).toEqual(expected);
    expect(files.filter((f) => f.includes("node_modules") || f.endsWith(".ts"))).toEqual([]);
    for (const e of layer) expect(e.owner).toBe("0/0");
  });

  test("has the directories a container expects: /tmp for everyone, empty mount points", () => {
    expect(entry("/tmp")?.mode).toBe("drwxrwxrwt");
    for (const dir of ["/proc", "/dev", "/sys"]) {
      expect(entry(dir)?.mode).toBe("drwxr-xr-x");
      expect(layer.filter((e) => e.path.startsWith(`${dir}/`))).toEqual([]);
    }
  });

  test("knows the image's user, and the bundle runs the speaker as root, the controller not", () => {
    const uid = read.config.config.User.split(":")[0];
    const passwd = readFileSync(join(rootfs, "etc", "passwd"), "utf8");
    expect(passwd).toMatch(new RegExp(`^\\w+:x:${uid}:`, "m"));
    const workloads = parseAllDocuments(readFileSync(BUNDLE_PATH, "utf8"))
      .map((d) => d.toJS())
      .filter((d) => d?.kind === "DaemonSet" || d?.kind === "Deployment");
    const byName = Object.fromEntries(workloads.map((w) => [w.metadata.name, w.spec.template.spec]));
    expect(byName.speaker.containers[0].securityContext.runAsUser).toBe(0);
    expect(byName.controller.securityContext).toMatchObject({ runAsNonRoot: true });
    expect(byName.controller.securityContext.runAsUser).not.toBe(0);
  });

  test("is reproducible: a second build gives the same layer, config and bytes", async () => {
    const again = await buildMetalbunImage(join(work, "second"));
    expect(again.layerDigest).toBe(image.layerDigest);
    expect(again.configDigest).toBe(image.configDigest);
    expect(Buffer.compare(readFileSync(again.path), readFileSync(image.path))).toBe(0);
  }, 60_000);

  test("its entrypoint runs in the layer alone, as the image's user", async () => {
    // A private mount namespace with its own /proc (Bun aborts without one): the mount ends with
    // the namespace, and the layer's files are all the program has.
    const { Entrypoint, Env, User } = read.config.config;
    const proc = Bun.spawn(
      [
        "unshare",
        "--mount",
        "--pid",
        "--fork",
        `--mount-proc=${join(rootfs, "proc")}`,
        "env",
        "-i",
        ...Env,
        Bun.which("chroot")!,
        `--userspec=${User}`,
        rootfs,
        ...Entrypoint,
        "--version",
      ],
      { stdout: "pipe", stderr: "pipe" },
    );
    const [stdout, stderr, code] = await Promise.all([
      new Response(proc.stdout).text(),
      new Response(proc.stderr).text(),
      proc.exited,
    ]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    expect(stdout.trim()).toBe(`metalbun ${METALBUN_IMAGE.split(":")[1]}`);
    expect(readFileSync("/proc/mounts", "utf8")).not.toContain(rootfs);
  });
});
