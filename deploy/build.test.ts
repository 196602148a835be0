import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildImageProgram } from "./build.ts";

const outdir = mkdtempSync(join(tmpdir(), "metalbun-build-test-"));
let main = "";
beforeAll(async () => {
  main = readFileSync(await buildImageProgram(outdir), "utf8");
});
afterAll(() => rmSync(outdir, { recursive: true, force: true }));

/** The builtin modules a bundle loads: `import … from "x"` and `require("x")` under any minified name. */
function builtinsLoaded(source: string): Set<string> {
  const loaded = new Set<string>();
  for (const m of source.matchAll(/from\s*"(?:node:)?([a-z_]+)"|[\w$]+\("(?:node:)?([a-z_]+)"\)/g)) {
    loaded.add((m[1] ?? m[2])!);
  }
  return loaded;
}

describe("the image program (deploy/build.ts)", () => {
  test("every Worker is built beside main.js, where the speaker looks for it", () => {
    for (const worker of ["membership/worker.js", "announcers/bgp/session-worker.js"]) {
      expect(readFileSync(join(outdir, worker), "utf8").length).toBeGreaterThan(1000);
    }
  });

  test("loads no builtin it never uses: prom-client's push gateway and cluster parts stay out", () => {
    const loaded = builtinsLoaded(main);
    // The pattern does see the bundler's output: builtins the program does use are found.
    expect(loaded).toContain("fs");
    expect(loaded).toContain("crypto");
    // Each of these costs resident memory for the life of the process once loaded
    // (observability/prom-client.ts), and nothing of ours needs them.
    for (const unused of ["http", "https", "zlib", "cluster"]) expect(loaded).not.toContain(unused);
  });

  test("holds only the rxjs it uses (its ES2015 build, tree-shaken), not all of it", () => {
    // Operators and errors we never use: in the CommonJS build, which is included whole.
    for (const unused of ["animationFrames", "TimeoutError", "SequenceError", "NotFoundError"])
      expect(main).not.toContain(unused);
    // What we do use is there.
    expect(main).toContain("ObjectUnsubscribedError");
  });
});
