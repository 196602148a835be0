/**
 * One L2Announcer as a process, for the e2e tests and benches: run it inside a node namespace
 * (`ip netns exec myk8s-worker bun e2e/l2/announcer-script.ts '<json>'`) with
 *   {"ips": ["172.18.255.200", "fc00:f853:ccd:e793::c8"], "interfaces": [], "exclude": [...regex],
 *    "periodicMs": 0}
 * (`exclude` defaults to MetalLB's list). It prints one JSON object per line on stdout:
 *   {"event":"ready","at":<epoch ms when the desired set, and so the first burst, went out>,"stats":...,
 *    "threads":[<the process's thread names>]}
 *   {"event":"stats","stats":...}                         on SIGUSR1
 *   {"event":"stopped","stopMs":..,"socketsBefore":..,"socketsAfter":..,"stats":..}   on SIGTERM/SIGINT
 * and then returns from main: the process exits by itself only if stop() left no socket, Worker or
 * timer behind, which is what the tests check.
 */
import { readdirSync, readlinkSync } from "node:fs";
import {
  compileExcludePatterns,
  DEFAULT_EXCLUDE_PATTERNS,
  L2Announcer,
} from "../../operator/src/announcers/l2/index.ts";
import { threadNames } from "../../operator/src/testing/threads.ts";

interface Config {
  readonly ips: readonly string[];
  readonly interfaces?: readonly string[];
  readonly exclude?: readonly string[];
  readonly periodicMs?: number;
}

const config = JSON.parse(process.argv[2] ?? "{}") as Config;

/** Sockets this process holds (fds whose link says socket:[inode]). */
function socketCount(): number {
  let n = 0;
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith("socket:")) n++;
    } catch {
      // closed while listing
    }
  }
  return n;
}

const print = (line: Record<string, unknown>) => process.stdout.write(`${JSON.stringify(line)}\n`);
const log = (level: string) => (fields: Record<string, unknown>, msg: string) =>
  process.stderr.write(`${JSON.stringify({ level, ...fields, msg })}\n`);

const socketsBefore = socketCount();
const announcer = new L2Announcer({
  excludeInterfaces: compileExcludePatterns(config.exclude ?? DEFAULT_EXCLUDE_PATTERNS).regexps,
  periodicGratuitousMs: config.periodicMs,
  log: { debug: () => {}, info: log("info"), warn: log("warn"), error: log("error") },
});
await announcer.start();
announcer.setEntries(
  config.ips.map((ip) => ({ ip, interfaces: config.interfaces ?? [], services: ["default/svc"] })),
);
print({ event: "ready", at: Date.now(), stats: announcer.stats(), threads: threadNames() });

const onStats = () => print({ event: "stats", stats: announcer.stats() });
process.on("SIGUSR1", onStats);

const stopped = new Promise<void>((resolve) => {
  const stop = async () => {
    process.off("SIGTERM", stop);
    process.off("SIGINT", stop);
    process.off("SIGUSR1", onStats);
    const t0 = performance.now();
    await announcer.stop();
    const stopMs = performance.now() - t0;
    print({ event: "stopped", stopMs, socketsBefore, socketsAfter: socketCount(), stats: announcer.stats() });
    resolve();
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
});
await stopped;
