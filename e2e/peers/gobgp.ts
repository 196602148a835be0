/**
 * gobgpd inside a testbed namespace, with its gRPC API on that namespace's own loopback
 * (127.0.0.1:50051 by default: every namespace has its own, so the port repeats freely), and the
 * gobgp CLI to query it and to announce routes (in bulk through an MRT dump, see mrt.ts).
 * GoBGP installs nothing in the kernel: assertions read its RIB.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execIn, spawnIn } from "../net/exec.ts";
import { isAlive, loadRecord, NET_STATE_DIR, stopTracked } from "../net/procs.ts";
import { runOk } from "../net/run.ts";
import type { AddressFamily } from "./frr-config.ts";
import { type GobgpSpec, gobgpConfig } from "./gobgp-config.ts";
import { mrtDump, type OriginatedAttributes } from "./mrt.ts";
import { waitUntil } from "./wait.ts";

export const GOBGP_API_PORT = 50051;
const BUILD_SCRIPT = join(import.meta.dir, "build-gobgp.sh");

let binDir: string | undefined;

/** Where gobgpd and gobgp are (building them once if `./dev setup` has not). */
export async function gobgpBinDir(): Promise<string> {
  binDir ??= (await runOk(["bash", BUILD_SCRIPT], { timeoutMs: 900_000 })).trim();
  return binDir;
}

export function gobgpDir(ns: string): string {
  return join(NET_STATE_DIR, `gobgp-${ns}`);
}

const daemonKey = (ns: string) => `${ns}.gobgpd`;

export interface GobgpOptions {
  /** gRPC port on the namespace's 127.0.0.1 (default 50051). */
  readonly apiPort?: number;
}

/** Runs the gobgp CLI against the gobgpd of `ns`; throws with its stderr when it fails. */
export async function gobgpCli(
  ns: string,
  args: readonly string[],
  apiPort = GOBGP_API_PORT,
): Promise<string> {
  const cli = join(await gobgpBinDir(), "gobgp");
  const result = await execIn(ns, [cli, "-u", "127.0.0.1", "-p", String(apiPort), ...args], {
    timeoutMs: 120_000,
  });
  if (result.exitCode !== 0) {
    throw new Error(`gobgp ${args.join(" ")} in ${ns} failed (${result.exitCode}): ${result.stderr.trim()}`);
  }
  return result.stdout;
}

export interface GobgpPath {
  readonly nexthops: readonly string[];
  /** "IGP", "EGP" or "incomplete", as FRR names them. */
  readonly origin: string;
  readonly localPref?: number;
  readonly communities: readonly string[];
  readonly largeCommunities: readonly string[];
  readonly aspath: readonly number[];
  readonly best: boolean;
  readonly stale: boolean;
  /** The neighbour it came from; empty for a locally originated path. */
  readonly peer: string;
}

export interface GobgpRoute {
  /** Next hops of every path (GoBGP keeps them all with use-multiple-paths), sorted. */
  readonly nexthops: readonly string[];
  readonly origin: string;
  readonly localPref?: number;
  readonly communities: readonly string[];
  readonly largeCommunities: readonly string[];
  readonly aspath: readonly number[];
  readonly paths: readonly GobgpPath[];
}

interface AttrJson {
  type: number;
  value?: unknown;
  nexthop?: string;
  nexthops?: string[];
  communities?: number[];
  as_paths?: Array<{ asns?: number[] }>;
}

const ORIGINS = ["IGP", "EGP", "incomplete"];

function toPath(p: {
  attrs?: AttrJson[];
  best?: boolean;
  stale?: boolean;
  "peer-address"?: string;
}): GobgpPath {
  const attrs = p.attrs ?? [];
  const of = (type: number) => attrs.find((a) => a.type === type);
  const mpReach = of(14);
  const nexthops = [of(3)?.nexthop, mpReach?.nexthop, ...(mpReach?.nexthops ?? [])].filter(
    (n): n is string => !!n,
  );
  const localPref = of(5)?.value;
  const large = (of(32)?.value ?? []) as Array<{ ASN?: number; LocalData1?: number; LocalData2?: number }>;
  return {
    nexthops,
    origin: ORIGINS[Number(of(1)?.value ?? 0)] ?? "?",
    ...(typeof localPref === "number" ? { localPref } : {}),
    communities: (of(8)?.communities ?? []).map((c) => `${c >>> 16}:${c & 0xffff}`),
    largeCommunities: large.map((l) => `${l.ASN ?? 0}:${l.LocalData1 ?? 0}:${l.LocalData2 ?? 0}`),
    aspath: (of(2)?.as_paths ?? []).flatMap((s) => s.asns ?? []),
    best: p.best === true,
    stale: p.stale === true,
    peer: p["peer-address"] ?? "",
  };
}

/** `gobgp -j global rib -a <family>`: prefix -> route. */
export function parseGobgpRoutes(json: string): Map<string, GobgpRoute> {
  const parsed = JSON.parse(json.trim() === "" ? "{}" : json) as Record<
    string,
    Array<Parameters<typeof toPath>[0]>
  >;
  const routes = new Map<string, GobgpRoute>();
  for (const [prefix, entries] of Object.entries(parsed)) {
    const paths = entries.map(toPath);
    const best = paths.find((p) => p.best) ?? paths[0];
    if (!best) continue;
    routes.set(prefix, {
      nexthops: [...new Set(paths.flatMap((p) => p.nexthops))].sort(),
      origin: best.origin,
      ...(best.localPref === undefined ? {} : { localPref: best.localPref }),
      communities: best.communities,
      largeCommunities: best.largeCommunities,
      aspath: best.aspath,
      paths,
    });
  }
  return routes;
}

export async function gobgpRoutes(
  ns: string,
  family: AddressFamily,
  apiPort = GOBGP_API_PORT,
): Promise<Map<string, GobgpRoute>> {
  return parseGobgpRoutes(await gobgpCli(ns, ["-j", "global", "rib", "-a", family], apiPort));
}

/** GoBGP's session states (its API's enum); FRR's names, so both peers read alike in tests. */
const SESSION_STATES = ["Unknown", "Idle", "Connect", "Active", "OpenSent", "OpenConfirm", "Established"];

export interface GobgpNeighborState {
  readonly state: string;
  readonly peerAs: number;
  /** Negotiated hold time. */
  readonly holdTimeS: number;
  readonly keepaliveS: number;
  readonly updatesReceived: number;
  readonly updatesSent: number;
  /** Prefixes received per family (afi:safi, e.g. "1:1"). */
  readonly received: Readonly<Record<string, number>>;
  /** The BFD session's state, when BFD is configured ("Up", "Down", "AdminDown", "Init"). */
  readonly bfdState: string | undefined;
}

interface NeighborJson {
  conf?: { neighbor_address?: string; peer_asn?: number };
  state?: {
    neighbor_address?: string;
    peer_asn?: number;
    session_state?: number;
    messages?: { received?: { update?: number }; sent?: { update?: number } };
    bfd_state?: { session_state?: number };
  };
  timers?: { state?: { negotiated_hold_time?: number; keepalive_interval?: number } };
  afi_safis?: Array<{ state?: { family?: { afi?: number; safi?: number }; received?: number } }>;
}

/** api.BfdSessionState. */
const BFD_STATES = ["Unspecified", "Up", "Down", "AdminDown", "Init"];

export function parseGobgpNeighbors(json: string): Map<string, GobgpNeighborState> {
  const parsed = JSON.parse(json.trim() === "" ? "[]" : json) as NeighborJson[];
  const out = new Map<string, GobgpNeighborState>();
  for (const n of parsed) {
    const address = n.state?.neighbor_address ?? n.conf?.neighbor_address;
    if (!address) continue;
    const received: Record<string, number> = {};
    for (const a of n.afi_safis ?? []) {
      const f = a.state?.family;
      if (f) received[`${f.afi ?? 0}:${f.safi ?? 0}`] = a.state?.received ?? 0;
    }
    out.set(address, {
      state: SESSION_STATES[n.state?.session_state ?? 0] ?? "Unknown",
      peerAs: n.state?.peer_asn ?? n.conf?.peer_asn ?? 0,
      holdTimeS: n.timers?.state?.negotiated_hold_time ?? 0,
      keepaliveS: n.timers?.state?.keepalive_interval ?? 0,
      updatesReceived: n.state?.messages?.received?.update ?? 0,
      updatesSent: n.state?.messages?.sent?.update ?? 0,
      received,
      bfdState: n.state?.bfd_state ? BFD_STATES[n.state.bfd_state.session_state ?? 0] : undefined,
    });
  }
  return out;
}

export async function gobgpNeighbors(
  ns: string,
  apiPort = GOBGP_API_PORT,
): Promise<Map<string, GobgpNeighborState>> {
  return parseGobgpNeighbors(await gobgpCli(ns, ["-j", "neighbor"], apiPort));
}

/**
 * Adds locally originated routes (origin IGP, next hop self unless given) to gobgpd's RIB, in one
 * stream however many; returns once gobgpd has taken them all (not once the peers have them).
 */
export async function gobgpAnnounce(
  ns: string,
  prefixes: readonly string[],
  attrs: OriginatedAttributes = {},
  apiPort = GOBGP_API_PORT,
): Promise<void> {
  if (prefixes.length === 0) return;
  mkdirSync(gobgpDir(ns), { recursive: true });
  const file = join(gobgpDir(ns), `announce-${process.pid}-${Date.now()}.mrt`);
  writeFileSync(file, mrtDump(prefixes, attrs));
  try {
    await gobgpCli(ns, ["mrt", "inject", "global", file], apiPort);
  } finally {
    rmSync(file, { force: true });
  }
}

/** Withdraws these prefixes (one CLI call each: for a few; withdrawAll for a bulk). */
export async function gobgpWithdraw(
  ns: string,
  prefixes: readonly string[],
  apiPort = GOBGP_API_PORT,
): Promise<void> {
  for (const prefix of prefixes) {
    const family = prefix.includes(":") ? "ipv6" : "ipv4";
    await gobgpCli(ns, ["global", "rib", "-a", family, "del", prefix], apiPort);
  }
}

/** Withdraws every locally originated route of one family. */
export async function gobgpWithdrawAll(
  ns: string,
  family: AddressFamily,
  apiPort = GOBGP_API_PORT,
): Promise<void> {
  await gobgpCli(ns, ["global", "rib", "-a", family, "del", "all"], apiPort);
}

export interface GobgpHandle {
  readonly namespace: string;
  readonly dir: string;
  readonly apiPort: number;
  readonly spec: GobgpSpec;
  /** SIGTERM (gobgpd closes its sessions), then SIGKILL after a grace period. */
  stop(): Promise<void>;
  /** SIGKILL: the sessions vanish without a NOTIFICATION; peers notice at hold-time expiry. */
  killHard(): Promise<void>;
  /** Stops (politely) and starts again with the same configuration and no routes. */
  restart(): Promise<void>;
  /**
   * SIGSTOP: the process and its sockets stay, so peers see no FIN, only silence, and must notice
   * by their hold timer (RFC 4271 §6.5). `resume()` sends SIGCONT.
   */
  freeze(): void;
  resume(): void;
  announce(prefixes: readonly string[], attrs?: OriginatedAttributes): Promise<void>;
  withdraw(prefixes: readonly string[]): Promise<void>;
  routes(family: AddressFamily): Promise<Map<string, GobgpRoute>>;
  neighbors(): Promise<Map<string, GobgpNeighborState>>;
  cli(...args: string[]): Promise<string>;
}

function signalDaemon(ns: string, signal: NodeJS.Signals): void {
  const record = loadRecord(daemonKey(ns));
  if (!record || !isAlive(record)) throw new Error(`no gobgpd running in ${ns}`);
  process.kill(record.pid, signal);
}

async function startDaemon(ns: string, apiPort: number): Promise<void> {
  const bin = await gobgpBinDir();
  const config = join(gobgpDir(ns), "gobgpd.toml");
  const started = spawnIn(ns, [join(bin, "gobgpd"), "-f", config, "--api-hosts", `127.0.0.1:${apiPort}`], {
    key: daemonKey(ns),
  });
  let exited: number | undefined;
  started.exited.then((code) => {
    exited = code;
  });
  await waitUntil(
    async () => {
      if (exited !== undefined) throw new Error(`gobgpd in ${ns} exited with ${exited}`);
      const r = await execIn(ns, [join(bin, "gobgp"), "-u", "127.0.0.1", "-p", String(apiPort), "global"]);
      return r.exitCode === 0;
    },
    { timeoutMs: 10_000, intervalMs: 50, what: `gobgpd in ${ns} to answer on 127.0.0.1:${apiPort}` },
  );
}

/** Starts gobgpd in `ns` with the generated configuration; replaces one already running there. */
export async function startGobgp(ns: string, spec: GobgpSpec, opts: GobgpOptions = {}): Promise<GobgpHandle> {
  const apiPort = opts.apiPort ?? GOBGP_API_PORT;
  await stopTracked(daemonKey(ns));
  const dir = gobgpDir(ns);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "gobgpd.toml"), gobgpConfig(spec));
  await startDaemon(ns, apiPort);
  return {
    namespace: ns,
    dir,
    apiPort,
    spec,
    stop: () => stopTracked(daemonKey(ns), "SIGTERM"),
    killHard: () => stopTracked(daemonKey(ns), "SIGKILL"),
    restart: async () => {
      await stopTracked(daemonKey(ns), "SIGTERM");
      await startDaemon(ns, apiPort);
    },
    freeze: () => signalDaemon(ns, "SIGSTOP"),
    resume: () => signalDaemon(ns, "SIGCONT"),
    announce: (prefixes, attrs) => gobgpAnnounce(ns, prefixes, attrs, apiPort),
    withdraw: (prefixes) => gobgpWithdraw(ns, prefixes, apiPort),
    routes: (family) => gobgpRoutes(ns, family, apiPort),
    neighbors: () => gobgpNeighbors(ns, apiPort),
    cli: (...args) => gobgpCli(ns, args, apiPort),
  };
}
