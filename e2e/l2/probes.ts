/**
 * What the L2 e2e tests and the reply-latency bench share: an announcer process in a node namespace
 * (announcer-script.ts), and what `mypc` sees of it (arping, ndisc6, ip neigh, tcpdump timings).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { L2Stats } from "../../operator/src/announcers/l2/index.ts";
import { threadNames } from "../../operator/src/testing/threads.ts";
import { percentile } from "../bench/report.ts";
import { execIn, inNamespace, spawnIn } from "../net/exec.ts";
import { forgetRecord } from "../net/procs.ts";
import { CLIENT } from "../net/topology.ts";

export const VIP4 = "172.18.255.200";
export const VIP6 = "fc00:f853:ccd:e793::c8";
const SCRIPT = join(import.meta.dir, "announcer-script.ts");

export interface AnnouncerConfig {
  readonly ips: readonly string[];
  readonly interfaces?: readonly string[];
  readonly exclude?: readonly string[];
  readonly periodicMs?: number;
}

export interface StoppedLine {
  readonly stopMs: number;
  readonly socketsBefore: number;
  readonly socketsAfter: number;
  readonly stats: L2Stats;
}

export interface AnnouncerProcess {
  readonly node: string;
  /** Epoch ms at which the desired set was applied (the first gratuitous round had gone out). */
  readonly readyAt: number;
  readonly readyStats: L2Stats;
  /** The names of the process's threads now. */
  threads(): string[];
  stats(): Promise<L2Stats>;
  /** SIGTERM, then waits for the process to exit on its own; how long that took. */
  stop(): Promise<{ readonly exitMs: number; readonly exitCode: number; readonly stopped: StoppedLine }>;
}

/** Starts announcer-script.ts in a node namespace and waits for its "ready" line. */
export async function startAnnouncer(node: string, config: AnnouncerConfig): Promise<AnnouncerProcess> {
  const spawned = spawnIn(node, [process.execPath, SCRIPT, JSON.stringify(config)]);
  const lines = (): Array<Record<string, unknown>> => {
    try {
      return readFileSync(spawned.record.stdoutFile, "utf8")
        .split("\n")
        .filter((l) => l.startsWith("{"))
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    } catch {
      return [];
    }
  };
  const waitLine = async (event: string, after: number, timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = lines().filter((l) => l.event === event)[after];
      if (found) return found;
      if (Date.now() > deadline) {
        const stderr = readFileSync(spawned.record.stderrFile, "utf8");
        throw new Error(`announcer in ${node}: no "${event}" line after ${timeoutMs} ms; stderr:\n${stderr}`);
      }
      await Bun.sleep(5);
    }
  };
  const ready = await Promise.race([
    waitLine("ready", 0, 15_000),
    spawned.exited.then((code) => {
      throw new Error(
        `announcer in ${node} exited (${code}): ${readFileSync(spawned.record.stderrFile, "utf8")}`,
      );
    }),
  ]);
  let statsAsked = 0;
  return {
    node,
    readyAt: ready.at as number,
    readyStats: ready.stats as L2Stats,
    threads: () => threadNames(spawned.proc.pid),
    async stats() {
      spawned.proc.kill("SIGUSR1");
      return (await waitLine("stats", statsAsked++, 5000)).stats as L2Stats;
    },
    async stop() {
      const t0 = performance.now();
      spawned.proc.kill("SIGTERM");
      const timeout = Bun.sleep(10_000).then(() => "timeout" as const);
      const result = await Promise.race([spawned.exited, timeout]);
      const exitMs = performance.now() - t0;
      if (result === "timeout") {
        spawned.proc.kill("SIGKILL");
        throw new Error(`announcer in ${node} did not exit within 10 s of SIGTERM`);
      }
      forgetRecord(spawned.record.key);
      const stopped = (await waitLine("stopped", 0, 1000)) as unknown as StoppedLine;
      return { exitMs, exitCode: result, stopped };
    },
  };
}

export interface ArpingResult {
  readonly sent: number;
  readonly received: number;
  /** Replying MACs, upper case as arping prints them. */
  readonly macs: string[];
  readonly rttMs: number[];
}

/** `arping -I eth0` from mypc (iputils); extra args e.g. ["-c", "3"]. */
export async function arping(ip: string, args: readonly string[]): Promise<ArpingResult> {
  const out = await execIn(CLIENT.name, ["arping", "-I", "eth0", ...args, ip], { timeoutMs: 60_000 });
  const replies = [...out.stdout.matchAll(/reply from \S+ \[([0-9A-F:]+)\]\s+([\d.]+)ms/g)];
  return {
    sent: Number(out.stdout.match(/Sent (\d+) probe/)?.[1] ?? 0),
    received: Number(out.stdout.match(/Received (\d+) response/)?.[1] ?? 0),
    macs: replies.map((m) => m[1]!),
    rttMs: replies.map((m) => Number(m[2])),
  };
}

/** `ndisc6` from mypc: the MAC it printed (upper case), or undefined. */
export async function ndisc6(ip: string, args: readonly string[] = []): Promise<string | undefined> {
  const out = await execIn(CLIENT.name, ["ndisc6", ...args, ip, "eth0"], { timeoutMs: 30_000 });
  return out.stdout.match(/Target link-layer address: ([0-9A-F:]+)/)?.[1];
}

/** mypc's neighbour entry for `ip` on eth0: MAC and state, if any. */
export async function neighbour(ip: string): Promise<{ mac: string; state: string } | undefined> {
  const out = await execIn(CLIENT.name, ["ip", "-j", "neigh", "show", ip, "dev", "eth0"]);
  const entry = (JSON.parse(out.stdout || "[]") as Array<{ lladdr?: string; state?: string[] }>)[0];
  return entry?.lladdr ? { mac: entry.lladdr, state: (entry.state ?? []).join(",") } : undefined;
}

/** Makes mypc's kernel resolve `ip` (one ping; the VIP need not answer the echo). */
export async function resolveFromClient(ip: string): Promise<void> {
  await execIn(CLIENT.name, ["ping", ip.includes(":") ? "-6" : "-4", "-c", "1", "-W", "1", ip]);
}

export async function forgetNeighbours(): Promise<void> {
  await execIn(CLIENT.name, ["ip", "neigh", "flush", "dev", "eth0"]);
}

/**
 * Watches mypc's neighbour table (`ip monitor neigh`) and resolves with the epoch ms at which `ip`
 * was first seen with `mac`.
 */
export function watchNeighbour(ip: string, mac: string): { seen: Promise<number>; close(): void } {
  const proc = Bun.spawn(inNamespace(CLIENT.name, ["ip", "monitor", "neigh", "dev", "eth0"]), {
    stdout: "pipe",
    stderr: "ignore",
  });
  const seen = (async () => {
    const decoder = new TextDecoder();
    let buffered = "";
    for await (const chunk of proc.stdout) {
      const now = Date.now();
      buffered += decoder.decode(chunk);
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      if (lines.some((l) => l.startsWith(`${ip} `) && l.includes(`lladdr ${mac}`))) return now;
    }
    throw new Error(`ip monitor ended before ${ip} was seen at ${mac}`);
  })();
  return { seen, close: () => proc.kill() };
}

/** What tcpdump on mypc's eth0 sees (one line per packet, epoch timestamps) while `during` runs. */
export async function captureAtClient(filter: string, during: () => Promise<void>): Promise<string[]> {
  const proc = Bun.spawn(
    inNamespace(CLIENT.name, ["tcpdump", "-i", "eth0", "-nn", "-tt", "-l", "--immediate-mode", filter]),
    { stdout: "pipe", stderr: "pipe" },
  );
  // Wait until tcpdump listens.
  const reader = proc.stderr.getReader();
  const decoder = new TextDecoder();
  for (let text = ""; !text.includes("listening on"); ) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`tcpdump did not start: ${text}`);
    text += decoder.decode(value);
  }
  reader.releaseLock();
  const output = new Response(proc.stdout).text();
  try {
    await during();
    await Bun.sleep(200);
  } finally {
    proc.kill("SIGINT");
  }
  return (await output).split("\n").filter((l) => l.trim() !== "");
}

/**
 * On-the-wire reply latency at mypc's eth0: tcpdump's kernel timestamps of each request (ARP
 * request / NS for `ip` from mypc) and the next answer to mypc. `probe` sends the requests.
 */
export async function wireLatencies(ip: string, probe: () => Promise<void>): Promise<number[]> {
  const v6 = ip.includes(":");
  const lines = await captureAtClient(v6 ? "icmp6 and (ip6[40] == 135 or ip6[40] == 136)" : "arp", probe);
  const latencies: number[] = [];
  let pending: number | undefined;
  for (const line of lines) {
    const ts = Number(line.split(" ")[0]);
    if (!Number.isFinite(ts)) continue;
    // Only mypc solicits here (the announcers never do), so every request is one of the probes.
    const isRequest = v6
      ? line.includes(`neighbor solicitation, who has ${ip},`)
      : line.includes(`Request who-has ${ip} `) && line.includes(`tell ${CLIENT.ipv4},`);
    const isAnswer = v6
      ? line.includes("neighbor advertisement") &&
        line.includes(`tgt is ${ip}`) &&
        !line.includes("> ff02::1:")
      : line.includes(`Reply ${ip} is-at`);
    if (isRequest) pending = ts;
    else if (isAnswer && pending !== undefined) {
      latencies.push((ts - pending) * 1000);
      pending = undefined;
    }
  }
  return latencies;
}

export interface ReplyLatencies {
  /** What arping printed per answered probe (user space to user space, mypc). */
  readonly arpingRttMs: number[];
  /** Request to reply, kernel timestamps at mypc's eth0. */
  readonly arpOnWireMs: number[];
  readonly naOnWireMs: number[];
  /** MACs in arping's replies and ndisc6 answers (upper case), to check who answered. */
  readonly macs: string[];
  readonly ndisc6Answered: number;
}

/** `n` arping probes for VIP4 and `n` ndisc6 solicitations for VIP6 from mypc, one at a time. */
export async function replyLatencies(n: number): Promise<ReplyLatencies> {
  const arpingRttMs: number[] = [];
  const macs: string[] = [];
  const arpOnWireMs = await wireLatencies(VIP4, async () => {
    for (let i = 0; i < n; i++) {
      const r = await arping(VIP4, ["-f", "-c", "1", "-w", "1"]);
      arpingRttMs.push(...r.rttMs);
      macs.push(...r.macs);
    }
  });
  let ndisc6Answered = 0;
  const naOnWireMs = await wireLatencies(VIP6, async () => {
    for (let i = 0; i < n; i++) {
      const found = await ndisc6(VIP6, ["-1", "-r", "1", "-w", "1000"]);
      if (found === undefined) continue;
      ndisc6Answered++;
      macs.push(found);
    }
  });
  return { arpingRttMs, arpOnWireMs, naOnWireMs, macs, ndisc6Answered };
}

/** p50, p99 and max (nearest rank) of a sample, rounded to µs. */
export function summary(values: readonly number[]): { n: number; p50: number; p99: number; max: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const r = (v: number) => Math.round(v * 1000) / 1000;
  return {
    n: sorted.length,
    p50: r(percentile(sorted, 50)),
    p99: r(percentile(sorted, 99)),
    max: r(sorted.at(-1) ?? Number.NaN),
  };
}
