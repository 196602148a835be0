/**
 * Processes the testbed starts, tracked by pid files so that a later run (even after a crash) can
 * stop exactly those processes and nothing else.
 *
 * A pid alone can be recycled by the kernel, so each record also keeps the process's start time
 * (field 22 of /proc/<pid>/stat, in clock ticks since boot): a pid whose start time differs is
 * somebody else's process and is left alone.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";

/** Root of everything the e2e testbed writes; one sub-directory per concern. */
export const METALBUN_TMP = "/tmp/metalbun";
export const NET_STATE_DIR = join(METALBUN_TMP, "net");
export const PID_DIR = join(NET_STATE_DIR, "pids");
export const LOG_DIR = join(NET_STATE_DIR, "logs");

export interface ProcessRecord {
  /** Unique key, also the pid file's name: e.g. "myk8s-worker.web". */
  readonly key: string;
  readonly pid: number;
  /** /proc/<pid>/stat start time; identifies the process together with the pid. */
  readonly startTime: string;
  /** Network namespace it runs in. */
  readonly namespace: string;
  readonly argv: readonly string[];
  readonly stdoutFile: string;
  readonly stderrFile: string;
}

/** Start time of a live process, or undefined when there is no such process (zombies count as gone). */
export function processStartTime(pid: number): string | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may contain spaces: parse after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const state = fields[0];
  if (state === "Z" || state === "X") return undefined;
  return fields[19]; // field 22 overall: starttime
}

export function isAlive(record: Pick<ProcessRecord, "pid" | "startTime">): boolean {
  return processStartTime(record.pid) === record.startTime;
}

function pidFile(key: string): string {
  return join(PID_DIR, `${key}.json`);
}

export function logFiles(key: string): { stdoutFile: string; stderrFile: string } {
  return { stdoutFile: join(LOG_DIR, `${key}.out`), stderrFile: join(LOG_DIR, `${key}.err`) };
}

export function saveRecord(record: ProcessRecord): void {
  mkdirSync(PID_DIR, { recursive: true });
  writeFileSync(pidFile(record.key), `${JSON.stringify(record)}\n`);
}

export function forgetRecord(key: string): void {
  rmSync(pidFile(key), { force: true });
}

export function loadRecord(key: string): ProcessRecord | undefined {
  try {
    return JSON.parse(readFileSync(pidFile(key), "utf8")) as ProcessRecord;
  } catch {
    return undefined;
  }
}

/** Every record on disk (possibly of dead processes), sorted by key. */
export function loadRecords(): ProcessRecord[] {
  let names: string[];
  try {
    names = readdirSync(PID_DIR);
  } catch {
    return [];
  }
  return names
    .filter((n) => n.endsWith(".json"))
    .sort()
    .map((n) => loadRecord(n.slice(0, -".json".length)))
    .filter((r): r is ProcessRecord => r !== undefined);
}

export interface SpawnTrackedOptions {
  readonly key: string;
  readonly namespace: string;
  /** Full argv, including any `ip netns exec` prefix. */
  readonly argv: readonly string[];
  readonly env?: Record<string, string | undefined>;
  readonly cwd?: string;
  /**
   * Outlive this process (own session, no pipes, not keeping the event loop alive): daemons
   * started by `net up` must keep running after the CLI exits.
   */
  readonly detached?: boolean;
}

export interface Tracked {
  readonly record: ProcessRecord;
  readonly proc: Bun.Subprocess;
}

/** Starts a process with stdout/stderr going to log files, and records it in a pid file. */
export function spawnTracked(opts: SpawnTrackedOptions): Tracked {
  mkdirSync(LOG_DIR, { recursive: true });
  const { stdoutFile, stderrFile } = logFiles(opts.key);
  const proc = Bun.spawn([...opts.argv], {
    stdin: "ignore",
    stdout: Bun.file(stdoutFile),
    stderr: Bun.file(stderrFile),
    env: opts.env ?? process.env,
    cwd: opts.cwd ?? process.cwd(),
    detached: opts.detached ?? false,
  });
  if (opts.detached) proc.unref();
  const startTime = processStartTime(proc.pid);
  if (startTime === undefined) {
    // Exited before we could look: record nothing, the caller sees the exit through proc.exited.
    return {
      proc,
      record: {
        key: opts.key,
        pid: proc.pid,
        startTime: "",
        namespace: opts.namespace,
        argv: opts.argv,
        stdoutFile,
        stderrFile,
      },
    };
  }
  const record: ProcessRecord = {
    key: opts.key,
    pid: proc.pid,
    startTime,
    namespace: opts.namespace,
    argv: opts.argv,
    stdoutFile,
    stderrFile,
  };
  saveRecord(record);
  return { proc, record };
}

async function waitGone(pid: number, startTime: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (processStartTime(pid) !== startTime) return true;
    await Bun.sleep(20);
  }
  return processStartTime(pid) !== startTime;
}

/**
 * Stops one exact process (pid + start time): the given signal, then SIGKILL after graceMs.
 * Returns false if it was not running (already gone or the pid now belongs to someone else).
 */
export async function stopProcess(
  target: Pick<ProcessRecord, "pid" | "startTime">,
  signal: NodeJS.Signals = "SIGTERM",
  graceMs = 3000,
): Promise<boolean> {
  if (!isAlive(target)) return false;
  try {
    process.kill(target.pid, signal);
  } catch {
    return false;
  }
  if (await waitGone(target.pid, target.startTime, graceMs)) return true;
  try {
    process.kill(target.pid, "SIGKILL");
  } catch {
    return true;
  }
  await waitGone(target.pid, target.startTime, 2000);
  return true;
}

/** Stops the tracked process under this key (if alive) and removes its pid file. */
export async function stopTracked(key: string, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  const record = loadRecord(key);
  if (record) await stopProcess(record, signal);
  forgetRecord(key);
}
