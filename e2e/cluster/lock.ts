/**
 * One cluster operation at a time across processes (test files, the CLI, a second `bun test`): a
 * lock file holding the owner's PID, taken with O_EXCL. A lock whose owner died is taken over.
 * Within one process the operations are also chained, so two awaits never interleave.
 */
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from "node:fs";
import { dirname } from "node:path";
import { pidAlive } from "./process.ts";

let chain: Promise<unknown> = Promise.resolve();

function tryAcquire(path: string): boolean {
  try {
    const fd = openSync(path, "wx");
    writeSync(fd, String(process.pid));
    closeSync(fd);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    const owner = Number.parseInt(readFileSync(path, "utf8") || "0", 10);
    if (!(owner > 0 && pidAlive(owner))) rmSync(path, { force: true });
    return false;
  }
}

async function acquire(path: string, timeoutMs: number): Promise<void> {
  mkdirSync(dirname(path), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  while (!tryAcquire(path)) {
    if (Date.now() > deadline) {
      throw new Error(
        `cluster lock ${path} held by PID ${readFileSync(path, "utf8")} for over ${timeoutMs} ms`,
      );
    }
    await Bun.sleep(100);
  }
}

export function withLock<T>(path: string, fn: () => Promise<T>, timeoutMs = 600_000): Promise<T> {
  const run = chain.then(async () => {
    await acquire(path, timeoutMs);
    try {
      return await fn();
    } finally {
      rmSync(path, { force: true });
    }
  });
  chain = run.catch(() => undefined);
  return run;
}
