/**
 * What both lab tests do around their step assertions: run `bun run lab --ci` (with extra
 * arguments) in a child process after releasing the testbed, and list the testbed's namespaces
 * still present afterwards (there must be none).
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { netDown } from "../net/testbed.ts";
import { NAMESPACES } from "../net/topology.ts";

const LAB = join(import.meta.dir, "main.ts");

export interface LabRun {
  readonly code: number;
  readonly out: string;
  /** The `step N ...` lines, in order. */
  readonly steps: string[];
}

export async function runLabCi(...args: string[]): Promise<LabRun> {
  // The lab takes the network testbed for itself; release it if this test process holds it.
  await netDown();
  const proc = Bun.spawn(["bun", LAB, ...args, "--ci"], { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  if (code !== 0) console.error(out, err);
  return { code, out, steps: out.split("\n").filter((l) => l.startsWith("step ")) };
}

export function ourNamespaces(): string[] {
  let present: string[] = [];
  try {
    present = readdirSync("/run/netns");
  } catch {
    return [];
  }
  return present.filter((n) => (NAMESPACES as readonly string[]).includes(n));
}
