/**
 * mypc's prober (l2-prober.ts: a fresh HTTP request every 10 ms, lost when it fails or takes too
 * long) around a piece of work: one second of probing before it, one after.
 */
import { join } from "node:path";
import { inNamespace } from "../net/exec.ts";
import { CLIENT } from "../net/topology.ts";

const PROBER = join(import.meta.dir, "l2-prober.ts");

export interface ProbeResult {
  readonly sent: number;
  readonly lost: number;
  readonly lostAt?: number[];
}

export async function probeWhile(ips: readonly string[], work: () => Promise<void>): Promise<ProbeResult> {
  const prober = Bun.spawn(inNamespace(CLIENT.name, ["bun", PROBER, "600000", ...ips]), {
    stdout: "pipe",
    stderr: "inherit",
  });
  await Bun.sleep(1000);
  try {
    await work();
    await Bun.sleep(1000);
  } finally {
    prober.kill("SIGINT");
  }
  const out = await new Response(prober.stdout).text();
  return JSON.parse(out.trim().split("\n").at(-1) ?? "{}") as ProbeResult;
}
