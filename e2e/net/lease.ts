/**
 * One testbed per machine: its namespace names are global, so two test runs at once (two engineers,
 * or a test and a hand-run lab) would tear down each other's network. The lease is a file naming the
 * process that brought the testbed up; another live process waits for it, and a lease whose holder
 * died is taken over (that is how a crashed run's testbed gets cleaned up by the next one).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { isAlive, NET_STATE_DIR, processStartTime } from "./procs.ts";

export const LEASE_FILE = join(NET_STATE_DIR, "lease.json");

export interface LeaseHolder {
  readonly pid: number;
  readonly startTime: string;
  readonly argv: readonly string[];
}

export function currentHolder(): LeaseHolder | undefined {
  try {
    return JSON.parse(readFileSync(LEASE_FILE, "utf8")) as LeaseHolder;
  } catch {
    return undefined;
  }
}

function self(): LeaseHolder {
  return { pid: process.pid, startTime: processStartTime(process.pid) ?? "", argv: process.argv };
}

export function heldByUs(holder: LeaseHolder | undefined): boolean {
  return holder !== undefined && holder.pid === process.pid && holder.startTime === self().startTime;
}

/** Held by a live process other than this one. */
export function heldByOther(holder: LeaseHolder | undefined): holder is LeaseHolder {
  return holder !== undefined && !heldByUs(holder) && isAlive(holder);
}

/** Takes the lease, waiting up to waitMs while another live process holds it. */
export async function acquireLease(waitMs: number): Promise<void> {
  const deadline = Date.now() + waitMs;
  mkdirSync(NET_STATE_DIR, { recursive: true });
  for (;;) {
    const holder = currentHolder();
    if (heldByUs(holder)) return;
    if (heldByOther(holder)) {
      if (Date.now() >= deadline) {
        throw new Error(
          `the network testbed is in use by pid ${holder.pid} (${holder.argv.join(" ")}); ` +
            `waited ${waitMs} ms. Stop that run, or force with: bun e2e/net/cli.ts down --force`,
        );
      }
      await Bun.sleep(500);
      continue;
    }
    // Free, or its holder died: take it. O_EXCL makes two racing takers agree on one winner.
    if (holder) rmSync(LEASE_FILE, { force: true });
    try {
      writeFileSync(LEASE_FILE, `${JSON.stringify(self())}\n`, { flag: "wx" });
      return;
    } catch (error) {
      // Another run's netDown may have removed the state directory meanwhile: make it again.
      if ((error as NodeJS.ErrnoException).code === "ENOENT") mkdirSync(NET_STATE_DIR, { recursive: true });
      // Someone else created it in between (or is still writing it): look again, without spinning.
      if (Date.now() >= deadline) throw new Error(`could not take the network testbed lease: ${error}`);
      await Bun.sleep(50);
    }
  }
}

export function releaseLease(): void {
  if (heldByUs(currentHolder())) rmSync(LEASE_FILE, { force: true });
}
