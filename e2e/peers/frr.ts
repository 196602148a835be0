/**
 * FRR inside a testbed namespace, one process per daemon and no watchfrr:
 * zebra, bgpd and optionally bfdd, each with `-N <ns>` and its config, pid file, vty sockets and
 * zserv socket in /tmp/metalbun/net/frr-<ns>/ (owned by frr, which the daemons run as). They run in
 * the foreground under the testbed's process records, so netDown() ends them even after a crash.
 */
import { chownSync, existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { spawnIn } from "../net/exec.ts";
import { NET_STATE_DIR, stopTracked } from "../net/procs.ts";
import { run, runOk } from "../net/run.ts";
import { type FrrRouterSpec, frrBfddConfig, frrBgpdConfig, frrZebraConfig } from "./frr-config.ts";
import { enableForwarding } from "./routing.ts";
import { waitUntil } from "./wait.ts";

const FRR_BIN = "/usr/lib/frr";

export type FrrDaemon = "zebra" | "bgpd" | "bfdd";

export interface FrrOptions {
  /** Run bfdd too (default false); neighbours opt in with `bfd: true`. */
  readonly bfd?: boolean;
}

export interface FrrHandle {
  readonly namespace: string;
  readonly dir: string;
  readonly spec: FrrRouterSpec;
  readonly daemons: readonly FrrDaemon[];
  /** SIGTERM (bgpd sends Cease to every peer), then SIGKILL after a grace period. */
  stop(): Promise<void>;
  /** SIGKILL every daemon: the peers see the TCP session vanish, the kernel keeps zebra's routes. */
  killHard(): Promise<void>;
  /** Stops (politely) and starts again with the same configuration. */
  restart(): Promise<void>;
  /** Runs vtysh commands against this router and returns the output. */
  vtysh(...commands: string[]): Promise<string>;
}

export function frrDir(ns: string): string {
  return join(NET_STATE_DIR, `frr-${ns}`);
}

const daemonKey = (ns: string, daemon: FrrDaemon) => `${ns}.frr.${daemon}`;

/** vtysh bound to this router's sockets (and its empty vtysh.conf, so nothing is read from /etc/frr). */
export function vtyshArgv(ns: string, commands: readonly string[]): string[] {
  const dir = frrDir(ns);
  return ["vtysh", "--vty_socket", dir, "--config_dir", dir, ...commands.flatMap((c) => ["-c", c])];
}

export async function vtysh(ns: string, ...commands: string[]): Promise<string> {
  return runOk(vtyshArgv(ns, commands));
}

let frrIds: { uid: number; gid: number } | undefined;

async function frrUser(): Promise<{ uid: number; gid: number }> {
  if (!frrIds) {
    const uid = Number((await runOk(["id", "-u", "frr"])).trim());
    const gid = Number((await runOk(["id", "-g", "frr"])).trim());
    frrIds = { uid, gid };
  }
  return frrIds;
}

async function writeConfigs(ns: string, spec: FrrRouterSpec): Promise<void> {
  const dir = frrDir(ns);
  const { uid, gid } = await frrUser();
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const files: Record<string, string> = {
    "zebra.conf": frrZebraConfig(ns),
    "bgpd.conf": frrBgpdConfig(spec),
    "bfdd.conf": frrBfddConfig(spec),
    "vtysh.conf": "",
  };
  for (const [name, text] of Object.entries(files)) {
    writeFileSync(join(dir, name), text, { mode: 0o640 });
    chownSync(join(dir, name), uid, gid);
  }
  chownSync(dir, uid, gid);
}

function daemonArgv(ns: string, daemon: FrrDaemon): string[] {
  const dir = frrDir(ns);
  return [
    join(FRR_BIN, daemon),
    "-N",
    ns,
    "-A",
    "127.0.0.1",
    "-f",
    join(dir, `${daemon}.conf`),
    "-i",
    join(dir, `${daemon}.pid`),
    "-z",
    join(dir, "zserv.api"),
    "--vty_socket",
    dir,
    "--log",
    "stdout",
    "--log-level",
    "info",
  ];
}

async function startDaemons(ns: string, daemons: readonly FrrDaemon[]): Promise<void> {
  const dir = frrDir(ns);
  for (const daemon of daemons) {
    // A previous run's socket would make the wait below pass before this daemon is up.
    rmSync(join(dir, `${daemon}.vty`), { force: true });
    if (daemon === "zebra") rmSync(join(dir, "zserv.api"), { force: true });
    const started = spawnIn(ns, daemonArgv(ns, daemon), { key: daemonKey(ns, daemon) });
    let exited: number | undefined;
    started.exited.then((code) => {
      exited = code;
    });
    // zebra first and ready (its zserv socket) before the others connect to it.
    await waitUntil(
      async () => {
        if (exited !== undefined) throw new Error(`${daemon} in ${ns} exited with ${exited}`);
        if (daemon === "zebra" && !existsSync(join(dir, "zserv.api"))) return false;
        return (await run(vtyshArgv(ns, ["show version"]).concat(["-d", daemon]))).exitCode === 0;
      },
      { timeoutMs: 10_000, intervalMs: 50, what: `${daemon} in ${ns} to answer on its vty` },
    );
  }
}

async function stopDaemons(ns: string, daemons: readonly FrrDaemon[], signal: NodeJS.Signals): Promise<void> {
  // bgpd and bfdd before zebra, so zebra is there to withdraw their routes from the kernel.
  for (const daemon of [...daemons].reverse()) await stopTracked(daemonKey(ns, daemon), signal);
}

/**
 * Starts FRR in `ns` (normally the testbed's `router`) with forwarding and 5-tuple ECMP hashing
 * enabled there. Replaces an FRR already running in that namespace.
 */
export async function startFrr(ns: string, spec: FrrRouterSpec, opts: FrrOptions = {}): Promise<FrrHandle> {
  const daemons: FrrDaemon[] = opts.bfd ? ["zebra", "bgpd", "bfdd"] : ["zebra", "bgpd"];
  await stopDaemons(ns, ["zebra", "bgpd", "bfdd"], "SIGTERM");
  await enableForwarding(ns);
  await writeConfigs(ns, spec);
  await startDaemons(ns, daemons);
  return {
    namespace: ns,
    dir: frrDir(ns),
    spec,
    daemons,
    stop: () => stopDaemons(ns, daemons, "SIGTERM"),
    killHard: () => stopDaemons(ns, daemons, "SIGKILL"),
    restart: async () => {
      await stopDaemons(ns, daemons, "SIGTERM");
      await startDaemons(ns, daemons);
    },
    vtysh: (...commands) => vtysh(ns, ...commands),
  };
}
