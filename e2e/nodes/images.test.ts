import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { METALBUN_IMAGE } from "../../deploy/image.ts";
import { extractLayer, type ReadImage, readImageArchive } from "../../deploy/image-archive-reader.ts";
import { buildTestbedImages, PAUSE_IMAGE, type TestbedImage, WEBPOD_IMAGE, webpodBinary } from "./images.ts";

const work = mkdtempSync(join(tmpdir(), "metalbun-testbed-images-test-"));
const imagesDir = join(work, "images");
let images: TestbedImage[];
const read = new Map<string, ReadImage>();

beforeAll(async () => {
  images = await buildTestbedImages(imagesDir);
  for (const image of images) read.set(image.role, await readImageArchive(image.archive));
  // The node binaries (pause among them) are built from source the first time: many minutes.
}, 3_600_000);

afterAll(() => rmSync(work, { recursive: true, force: true }));

async function output(argv: string[]): Promise<{ code: number; text: string }> {
  const proc = Bun.spawn(argv, { stdout: "pipe", stderr: "pipe" });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, text: stdout + stderr };
}

describe("the testbed's images (e2e/nodes/images.ts)", () => {
  test("three archives, each one image under the name the nodes use", () => {
    expect(images.map((i) => [i.role, i.ref])).toEqual([
      ["metalbun", METALBUN_IMAGE],
      ["pause", PAUSE_IMAGE],
      ["webpod", WEBPOD_IMAGE],
    ]);
    for (const image of images) {
      const { manifest, config } = read.get(image.role)!;
      expect(manifest[0]!.RepoTags).toEqual([image.ref]);
      expect(config.rootfs.diff_ids).toEqual([`sha256:${image.layerDigest}`]);
    }
  });

  test.each([
    ["pause", "/pause"],
    ["webpod", "/webpod"],
  ])(
    "%s runs its static binary %s, and the layer holds only it and the mount points",
    async (role, binary) => {
      const { config, layers } = read.get(role)!;
      expect(config.config.Entrypoint).toEqual([binary]);
      const files = layers[0]!.filter((e) => !e.mode.startsWith("d"));
      expect(files.map((e) => [e.path, e.mode])).toEqual([[binary, "-rwxr-xr-x"]]);
      const dirs = layers[0]!.filter((e) => e.mode.startsWith("d")).map((e) => e.path);
      for (const dir of ["/proc", "/dev", "/sys"]) expect(dirs).toContain(dir);
      // No libc in the image: the binary must not need one.
      const root = join(work, `${role}-rootfs`);
      await extractLayer(images.find((i) => i.role === role)!.archive, root);
      const ldd = await output(["ldd", join(root, binary)]);
      expect(ldd.text).toContain("not a dynamic executable");
    },
  );

  test("a second call reuses the archives it already wrote", async () => {
    const written = images.map((i) => statSync(i.archive).mtimeMs);
    const again = await buildTestbedImages(imagesDir);
    expect(again).toEqual(images);
    expect(again.map((i) => statSync(i.archive).mtimeMs)).toEqual(written);
  });
});

describe("webpod", () => {
  test("answers like traefik/whoami: hostname, addresses, client, then the request", async () => {
    const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const port = probe.port;
    probe.stop(true);
    const server = Bun.spawn([await webpodBinary()], {
      env: { PORT: String(port) },
      stdout: "ignore",
      stderr: "pipe",
    });
    try {
      let body = "";
      const deadline = Date.now() + 10_000;
      while (body === "" && Date.now() < deadline) {
        body = await fetch(`http://127.0.0.1:${port}/probe?x=1`, { headers: { "User-Agent": "images-test" } })
          .then((r) => r.text())
          .catch(() => Bun.sleep(50).then(() => ""));
      }
      const lines = body.trimEnd().split("\n");
      expect(lines[0]).toBe(`Hostname: ${hostname()}`);
      expect(lines).toContain("IP: 127.0.0.1");
      const remote = lines.findIndex((l) => l.startsWith("RemoteAddr: "));
      expect(lines[remote]).toMatch(/^RemoteAddr: 127\.0\.0\.1:\d+$/);
      expect(lines.slice(remote + 1, remote + 4)).toEqual([
        "GET /probe?x=1 HTTP/1.1",
        `Host: 127.0.0.1:${port}`,
        "User-Agent: images-test",
      ]);
    } finally {
      process.kill(server.pid, "SIGTERM");
    }
    // Stopping a pod is no error: SIGTERM ends it with status 0.
    expect(await server.exited).toBe(0);
  });
});
