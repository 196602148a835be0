/**
 * The program the lab's pods run: the image's bundle (deploy/build.ts), built once per test
 * process into a directory of its own (concurrent test processes never share one) and removed
 * when the process exits. Running the bundle rather than operator/src proves what the image ships,
 * e.g. that the membership Worker is found beside the bundled main.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildImageProgram } from "../../deploy/build.ts";

let built: Promise<string> | undefined;

export function operatorProgram(): Promise<string> {
  built ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), "metalbun-image-"));
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
    return buildImageProgram(dir);
  })();
  return built;
}
