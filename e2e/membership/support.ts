/**
 * Helpers of the membership e2e tests: member processes in the node namespaces (member.ts), their
 * event streams (JSON lines in their stdout log files), and the statistics we report.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { MembershipCounters } from "../../operator/src/membership/engine.ts";
import type { MemberChange } from "../../operator/src/membership/reasons.ts";
import { execIn, spawnIn } from "../net/testbed.ts";
import { IPV6_PREFIX_LENGTH, type Member, NODES } from "../net/topology.ts";

export const MEMBER_SCRIPT = join(import.meta.dir, "member.ts");
export const INJECT_SCRIPT = join(import.meta.dir, "inject.ts");
export const BLASTER_SCRIPT = join(import.meta.dir, "blaster.ts");
export const SECRET = "bWV0YWxidW4gZTJlIG1lbWJlcmxpc3Qga2V5";
export const NODE_NAMES = NODES.map((n) => n.name);
export const BROADCAST = "172.18.255.255";

export const wallNow = () => performance.timeOrigin + performance.now();

export interface MemberEvent {
  readonly t: number;
  readonly type: "started" | "members" | "counters" | "blocked" | "left" | "stopped";
  readonly members?: string[];
  readonly changes?: MemberChange[];
  readonly counters?: MembershipCounters;
}

export class MemberProc {
  private consumed = 0;
  private readonly parsed: MemberEvent[] = [];

  constructor(
    readonly node: Member,
    readonly pid: number,
    readonly stdoutFile: string,
    readonly exited: Promise<number>,
  ) {}

  /** Every event so far. */
  events(): MemberEvent[] {
    let text = "";
    try {
      text = readFileSync(this.stdoutFile, "utf8");
    } catch {
      return this.parsed;
    }
    const complete = text.lastIndexOf("\n") + 1;
    for (const line of text.slice(this.consumed, complete).split("\n")) {
      if (line.trim() !== "") this.parsed.push(JSON.parse(line) as MemberEvent);
    }
    this.consumed = complete;
    return this.parsed;
  }

  /** The latest members view (undefined before the warm-up). */
  view(): string[] | undefined {
    return this.events().findLast((e) => e.type === "members")?.members;
  }

  /** Changes with their event times, in order. */
  changes(): Array<MemberChange & { t: number }> {
    return this.events().flatMap((e) => (e.changes ?? []).map((c) => ({ ...c, t: e.t })));
  }

  async waitFor(pred: (e: MemberEvent) => boolean, timeoutMs: number, what: string): Promise<MemberEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events().find(pred);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`${this.node.name}: no ${what} within ${timeoutMs} ms`);
      await Bun.sleep(10);
    }
  }

  signal(signal: NodeJS.Signals): number {
    const at = wallNow();
    process.kill(this.pid, signal);
    return at;
  }

  /** Asks for the counters (SIGUSR2) and returns the fresh report. */
  async counters(): Promise<MembershipCounters> {
    const before = this.events().length;
    this.signal("SIGUSR2");
    const deadline = Date.now() + 5000;
    for (;;) {
      const fresh = this.events()
        .slice(before)
        .find((e) => e.type === "counters");
      if (fresh?.counters) return fresh.counters;
      if (Date.now() > deadline) throw new Error(`${this.node.name}: no counters`);
      await Bun.sleep(10);
    }
  }

  /** SIGKILL and wait for the exit (no-op when already gone). */
  async kill(): Promise<void> {
    try {
      process.kill(this.pid, "SIGKILL");
    } catch {
      // already gone
    }
    await this.exited;
  }
}

export interface MemberEnv {
  readonly MB_THREAD?: "worker" | "inline";
  readonly MB_SECRET?: string;
  readonly MB_BROADCAST?: string;
  readonly MB_BLOCK_MS?: string;
  readonly MB_OVERLAP_MS?: string;
  readonly MB_BIND?: string;
}

let generation = 0;

export function startMember(node: Member, env: MemberEnv = {}): MemberProc {
  generation += 1;
  const spawned = spawnIn(node.name, [process.execPath, MEMBER_SCRIPT], {
    key: `${node.name}.membership.${process.pid}-${generation}`,
    env: {
      ...process.env,
      MB_NODE: node.name,
      MB_BIND: node.ipv4,
      MB_SECRET: SECRET,
      ...env,
    },
  });
  return new MemberProc(node, spawned.pid, spawned.record.stdoutFile, spawned.exited);
}

/** Waits until every member's latest view is exactly `expected`. */
export async function waitAllSee(
  members: MemberProc[],
  expected: string[],
  timeoutMs: number,
): Promise<number> {
  const want = [...expected].sort().join(",");
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (members.every((m) => m.view()?.join(",") === want)) return wallNow();
    if (Date.now() > deadline) {
      const views = members.map((m) => `${m.node.name}: ${m.view()?.join(",") ?? "(none)"}`).join("; ");
      throw new Error(`not all members see [${want}] after ${timeoutMs} ms: ${views}`);
    }
    await Bun.sleep(10);
  }
}

/** Nearest-rank percentile. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))]!;
}

export function summary(values: readonly number[]) {
  const round = (x: number) => Math.round(x * 10) / 10;
  return {
    n: values.length,
    p50: round(percentile(values, 50)),
    p99: round(percentile(values, 99)),
    max: round(Math.max(...values)),
    min: round(Math.min(...values)),
  };
}

/** Prints one figure as a JSON line (the report reads these). */
export function report(name: string, value: unknown): void {
  console.log(JSON.stringify({ membership: name, ...((typeof value === "object" && value) || { value }) }));
}

/** Cuts or restores a node's link from inside its namespace; restores the IPv6 address the kernel drops. */
export async function setLink(node: Member, up: boolean): Promise<void> {
  const r = await execIn(node.name, ["ip", "link", "set", node.ifname, up ? "up" : "down"]);
  if (r.exitCode !== 0) throw new Error(`ip link set ${up ? "up" : "down"} in ${node.name}: ${r.stderr}`);
  if (up) {
    const v6 = await execIn(node.name, [
      "ip",
      "addr",
      "replace",
      `${node.ipv6}/${IPV6_PREFIX_LENGTH}`,
      "dev",
      node.ifname,
      "nodad",
    ]);
    if (v6.exitCode !== 0) throw new Error(`restoring ${node.ipv6} in ${node.name}: ${v6.stderr}`);
  }
}
