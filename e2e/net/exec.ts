/**
 * Running commands inside one of the testbed's network namespaces.
 *
 * `ip netns exec` enters the namespace and then execs the command (no fork), so the pid we get
 * back is the command's own pid.
 */

import { type ProcessRecord, spawnTracked } from "./procs.ts";
import { type RunOptions, type RunResult, run } from "./run.ts";
import { NAMESPACES } from "./topology.ts";

function assertOurs(namespace: string): void {
  if (!NAMESPACES.includes(namespace)) {
    throw new Error(`${namespace} is not a testbed namespace (known: ${NAMESPACES.join(", ")})`);
  }
}

export function inNamespace(namespace: string, argv: readonly string[]): string[] {
  assertOurs(namespace);
  return ["ip", "netns", "exec", namespace, ...argv];
}

/** Runs a short command in the namespace and returns its exit code and output (never throws on exit code). */
export function execIn(
  namespace: string,
  argv: readonly string[],
  opts: RunOptions = {},
): Promise<RunResult> {
  return run(inNamespace(namespace, argv), opts);
}

export interface SpawnInOptions {
  /** Unique name of this process among the testbed's; defaults to "<ns>.<basename of argv[0]>.<n>". */
  readonly key?: string;
  readonly env?: Record<string, string | undefined>;
  readonly cwd?: string;
  /** Keep running after this process exits (daemons of `net up`). Default false. */
  readonly detached?: boolean;
}

export interface SpawnedIn {
  readonly pid: number;
  readonly record: ProcessRecord;
  readonly proc: Bun.Subprocess;
  /** Resolves with the exit code. */
  readonly exited: Promise<number>;
}

let counter = 0;

/**
 * Starts a long-running process in the namespace, output to log files under the state dir, pid
 * recorded so that `netDown()` stops it even after this process crashed.
 */
export function spawnIn(namespace: string, argv: readonly string[], opts: SpawnInOptions = {}): SpawnedIn {
  const base = (argv[0] ?? "proc").split("/").pop();
  counter += 1;
  const key = opts.key ?? `${namespace}.${base}.${process.pid}-${counter}`;
  const tracked = spawnTracked({
    key,
    namespace,
    argv: inNamespace(namespace, argv),
    env: opts.env,
    cwd: opts.cwd,
    detached: opts.detached,
  });
  return { pid: tracked.proc.pid, record: tracked.record, proc: tracked.proc, exited: tracked.proc.exited };
}
