/**
 * `bun e2e/bench/bgp-worker-memory.ts`: what the BGP sessions' routes cost in resident memory, no
 * cluster. One process per case announces N routes (default 10k) to two loopback peers (scripted
 * peers in a child process, so their memory is not counted), waits until the announcer has settled
 * and its heaps were collected, and prints its RSS: the sessions in their Worker or on the main
 * thread, with N routes or none. A quick loop for the Worker's share of `bench bgp footprint`.
 * JSON lines like the other benches.
 */
import { readFileSync } from "node:fs";
import { BgpAnnouncer } from "../../operator/src/announcers/bgp/announcer.ts";
import { workerSessionFactory } from "../../operator/src/announcers/bgp/session-worker-host.ts";
import { ScriptedPeer } from "../../operator/src/announcers/bgp/testing/scripted-peer.ts";
import { loopbackSessionSpec } from "../../operator/src/announcers/bgp/testing/session-spec.ts";
import type { BgpRoute, BgpSessionSpec } from "../../operator/src/domain/bgp/types.ts";

const BENCH = "bgp-worker-memory";
const N = Number(process.env.N ?? 10_000);
const SETTLE_MS = 15_000;
const role = process.argv[2];

function statusMb(field: string): number {
  const kb = readFileSync("/proc/self/status", "utf8").match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"))?.[1];
  return Math.round(Number(kb ?? 0) / 102.4) / 10;
}

function spec(name: string, port: number): BgpSessionSpec {
  return loopbackSessionSpec(port, { peer: name, routerID: "10.0.0.1" });
}

/** Two scripted peers; prints their ports and lives until killed. */
function runPeers(): void {
  const ctx = { fourOctetASN: true, extendedMessage: false, families: ["ipv4-unicast" as const] };
  const peers = [0, 1].map(() => new ScriptedPeer({ asn: 64500, ctx }).start());
  console.log(JSON.stringify(peers.map((p) => p.port)));
  setInterval(() => {}, 60_000);
}

/** One case: announce, settle, print the RSS. */
async function runCase(ports: readonly number[], inWorker: boolean, count: number): Promise<void> {
  const routes: BgpRoute[] = [];
  for (let i = 0; i < count; i++) {
    const prefix = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}/32`;
    routes.push({ prefix, family: "ipv4", localPref: undefined, communities: [], largeCommunities: [] });
  }
  routes.sort((a, b) => (a.prefix < b.prefix ? -1 : 1));
  const ignore = () => {};
  const announcer = new BgpAnnouncer({
    nodeName: "bench",
    metrics: {
      sessionUp: ignore,
      updateSent: ignore,
      prefixes: ignore,
      messageSent: ignore,
      messageReceived: ignore,
      sessionRemoved: ignore,
    },
    ...(inWorker ? { sessionFactory: workerSessionFactory() } : {}),
    sessionOptions: {
      interfaces: () => ({
        lo: [{ address: "127.0.0.1", family: "IPv4", cidr: "127.0.0.1/8", internal: true }],
      }),
    },
  });
  const sessions = ports.map((port, i) => spec(`peer${i}`, port));
  announcer.setDesired({ sessions, routes: new Map(sessions.map((s) => [s.peer, routes])) });
  await announcer.start();
  await Bun.sleep(SETTLE_MS);
  const up = announcer.currentStatuses().filter((s) => s.state === "established").length;
  if (up !== sessions.length) throw new Error(`${up} of ${sessions.length} sessions established`);
  Bun.gc(true);
  await Bun.sleep(2000);
  const where = inWorker ? "worker" : "main_thread";
  for (const [field, name] of [
    ["VmRSS", "rss"],
    ["RssAnon", "rss_anon"],
  ] as const) {
    const metric = `sessions_${where}_${count === 0 ? "no_routes" : "routes"}_${name}_mb`;
    console.log(JSON.stringify({ bench: BENCH, metric, value: statusMb(field), unit: "MB", n: count }));
  }
  await announcer.stop("now");
  process.exit(0);
}

if (role === "peers") runPeers();
else if (role === "case") {
  await runCase(
    JSON.parse(process.argv[3] ?? "[]") as number[],
    process.argv[4] === "worker",
    Number(process.argv[5]),
  );
} else {
  const peers = Bun.spawn(["bun", import.meta.path, "peers"], { stdout: "pipe", stderr: "inherit" });
  try {
    const reader = peers.stdout.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    const ports = first.split("\n")[0] ?? "[]";
    for (const where of ["worker", "main"]) {
      for (const count of [0, N]) {
        const run = Bun.spawn(["bun", import.meta.path, "case", ports, where, String(count)], {
          stdout: "inherit",
          stderr: "inherit",
        });
        if ((await run.exited) !== 0) throw new Error(`case ${where} ${count} failed`);
      }
    }
  } finally {
    peers.kill();
  }
}
