/** The program's TypeScript files under `dir` (tests excluded), for tests that read the source. */
import { readdirSync } from "node:fs";
import { join } from "node:path";

export function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith(".ts") && !e.name.endsWith(".test.ts") ? [p] : [];
  });
}
