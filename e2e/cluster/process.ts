/**
 * Process helpers for the testbed: run a command to completion, or start a daemon that outlives the
 * caller (so `bun run cluster up` can return while etcd and the apiserver keep running) and remember
 * it by PID. Only PIDs we recorded are ever signalled.
 */
import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface RunResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs argv and returns its output; `check` (default) turns a non-zero exit into an Error naming the command. */
export async function run(
  argv: readonly string[],
  opts: { stdin?: string; check?: boolean; env?: Record<string, string | undefined> } = {},
): Promise<RunResult> {
  const proc = Bun.spawn([...argv], {
    stdin: opts.stdin === undefined ? "ignore" : new TextEncoder().encode(opts.stdin),
    stdout: "pipe",
    stderr: "pipe",
    env: opts.env ?? process.env,
  });
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  if ((opts.check ?? true) && exitCode !== 0) {
    throw new Error(`command failed (exit ${exitCode}): ${argv.join(" ")}\n${stderr.trim()}`);
  }
  return { exitCode, stdout, stderr };
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function pidFile(dir: string, name: string): string {
  return join(dir, `${name}.pid`);
}

/** The PID recorded for `name`, if that process is still running. */
export function livePid(dir: string, name: string): number | undefined {
  const file = pidFile(dir, name);
  if (!existsSync(file)) return undefined;
  const pid = Number.parseInt(readFileSync(file, "utf8"), 10);
  return Number.isFinite(pid) && pidAlive(pid) ? pid : undefined;
}

/** Starts a daemon in its own session, output appended to `logFile`, PID recorded under `name`. */
export function startDaemon(pidDir: string, name: string, argv: readonly string[], logFile: string): number {
  mkdirSync(pidDir, { recursive: true });
  const fd = openSync(logFile, "a");
  const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ["ignore", fd, fd] });
  closeSync(fd);
  child.unref();
  if (child.pid === undefined) throw new Error(`could not start ${name}: ${argv.join(" ")}`);
  writeFileSync(pidFile(pidDir, name), String(child.pid));
  return child.pid;
}

/** Sends SIGTERM to a recorded daemon, escalates to SIGKILL after `graceMs`, and forgets it. */
export async function stopDaemon(pidDir: string, name: string, graceMs = 10_000): Promise<void> {
  const pid = livePid(pidDir, name);
  if (pid !== undefined) {
    process.kill(pid, "SIGTERM");
    const deadline = Date.now() + graceMs;
    while (pidAlive(pid) && Date.now() < deadline) await Bun.sleep(50);
    if (pidAlive(pid)) process.kill(pid, "SIGKILL");
    while (pidAlive(pid)) await Bun.sleep(20);
  }
  rmSync(pidFile(pidDir, name), { force: true });
}
