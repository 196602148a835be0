/** The one binary: its command line from source, and `bun build --compile` making one executable. */
import { describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pkg from "../package.json" with { type: "json" };

const MAIN = join(import.meta.dir, "..", "operator", "src", "main.ts");

async function metalbun(argv: string[], env: Record<string, string> = {}) {
  const proc = Bun.spawn(argv, {
    stdout: "pipe",
    stderr: "pipe",
    env: { PATH: process.env.PATH ?? "", ...env },
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { stdout, stderr, code };
}

describe("metalbun command line", () => {
  test("--help names both modes and MetalLB's flags", async () => {
    const r = await metalbun(["bun", MAIN, "--help"]);
    expect(r.code).toBe(0);
    for (const word of [
      "metalbun controller",
      "metalbun speaker",
      "--lb-class",
      "METALLB_NODE_NAME",
      "--log-level",
    ]) {
      expect(r.stdout).toContain(word);
    }
  });

  test("--version prints the package version", async () => {
    const r = await metalbun(["bun", MAIN, "--version"]);
    expect(r).toMatchObject({ code: 0, stdout: `metalbun ${pkg.version}\n` });
  });

  test("a speaker without a node name exits 2 with the reason", async () => {
    const r = await metalbun(["bun", MAIN, "speaker"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("speaker needs --node-name or METALLB_NODE_NAME");
  });

  test("outside a cluster without KUBECONFIG it fails with a clear message", async () => {
    const r = await metalbun(["bun", MAIN, "controller", "--health-probe-port=0"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("no apiserver configured");
  });

  test("bun build --compile makes one executable that runs", async () => {
    const dir = mkdtempSync(join(tmpdir(), "metalbun-build-"));
    try {
      const out = join(dir, "metalbun");
      const build = await metalbun([
        "bun",
        "build",
        "--compile",
        MAIN,
        join(import.meta.dir, "..", "operator", "src", "membership", "worker.ts"),
        join(import.meta.dir, "..", "operator", "src", "announcers", "l2", "receive-worker.ts"),
        join(import.meta.dir, "..", "operator", "src", "announcers", "bgp", "session-worker.ts"),
        "--outfile",
        out,
      ]);
      expect(build.code).toBe(0);
      const r = await metalbun([out, "--version"]);
      expect(r).toMatchObject({ code: 0, stdout: `metalbun ${pkg.version}\n` });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
