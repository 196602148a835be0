/**
 * Brings the seed's network up and down in network namespaces (see topology.ts for the plan).
 *
 *   netns metalbun-br:  br0 (bridge, no address, IPv6 off, no netfilter) with ports veth-cp, ...
 *                        |          |            |             |            |          |
 *   netns:        myk8s-control-plane  myk8s-worker  myk8s-worker2  myk8s-worker3  mypc  router
 *   eth0:          172.18.0.2        .3           .4             .5         .100   .254   (/16)
 *                  fc00:f853:ccd:e793::2 ...                                  ::64   ::fe   (/64)
 *   lo (nodes, mypc): 10.96.0.1/32, with a forwarder 10.96.0.1:443 -> the apiserver's unix socket
 *   nodes: web server on :8080 answering the node name; nft table metalbun_kube_proxy for DNAT
 *
 * Every link is created inside the bridge namespace and its peer moved straight into the member
 * namespace (`ip -n metalbun-br link add ... peer name eth0 netns <member>`), so no interface ever
 * appears in the machine's own namespace, not even for a moment.
 */
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { recordedPlacement, stopCluster } from "../cluster/cluster.ts";
import { execIn, inNamespace, spawnIn } from "./exec.ts";
import { acquireLease, currentHolder, heldByOther, releaseLease } from "./lease.ts";
import { isAlive, loadRecord, loadRecords, NET_STATE_DIR, stopProcess } from "./procs.ts";
import { run, runOk } from "./run.ts";
import {
  APISERVER_REACHABLE_FROM,
  APISERVER_SERVICE_IP,
  APISERVER_SERVICE_PORT,
  BRIDGE_NAME,
  BRIDGE_NAMESPACE,
  IPV4_PREFIX_LENGTH,
  IPV6_PREFIX_LENGTH,
  MEMBERS,
  type Member,
  NAMESPACES,
  NODES,
  WEB_PORT,
} from "./topology.ts";

export { execIn, spawnIn } from "./exec.ts";
export { addServiceDnat, currentServiceDnat, removeServiceDnat, setServiceDnat } from "./service-dnat.ts";

const WEB_SERVER_SCRIPT = join(import.meta.dir, "webserver.ts");

export interface NetUpOptions {
  /**
   * The cluster's host-side unix socket (ClusterHandle.apiserverUnixSocket). When given, nodes and
   * mypc reach the apiserver at https://10.96.0.1:443; when omitted, no forwarder runs.
   */
  readonly apiserverUnixSocket?: string;
  /**
   * IGMP/MLD snooping on the bridge. Off by default (a plain hub-like segment, so multicast such as
   * NDP solicitations and heartbeats reaches every port); turn it on to test against snooping switches.
   */
  readonly multicastSnooping?: boolean;
  /** How long to wait while another live process holds the testbed (default 10 minutes). */
  readonly leaseWaitMs?: number;
  /**
   * The nodes will run real kubelets and kube-proxy (e2e/nodes): no stand-ins, then, for what those
   * provide: no web server per node, no 10.96.0.1 on lo and no apiserver forwarder (kube-proxy
   * carries the `kubernetes` Service to the apiserver on the control-plane node).
   */
  readonly realNodes?: boolean;
}

export interface NetDownOptions {
  /** Tear down even if another live process holds the testbed (the CLI's `down --force`). */
  readonly force?: boolean;
  /** Keep the log files of the processes (for debugging a failed run). Also METALBUN_KEEP_LOGS=1. */
  readonly keepLogs?: boolean;
}

export function namespaceExists(name: string): boolean {
  return existsSync(`/run/netns/${name}`);
}

const ip = (ns: string, ...args: string[]) => runOk(["ip", "-n", ns, ...args]);
const sysctlIn = (ns: string, key: string, value: string) =>
  runOk(inNamespace(ns, ["sysctl", "-qw", `${key}=${value}`]));

async function createBridge(multicastSnooping: boolean): Promise<void> {
  await runOk(["ip", "netns", "add", BRIDGE_NAMESPACE]);
  // A pure L2 switch: no IPv6 link-local addresses, so the bridge sends nothing of its own.
  await sysctlIn(BRIDGE_NAMESPACE, "net.ipv6.conf.all.disable_ipv6", "1");
  await sysctlIn(BRIDGE_NAMESPACE, "net.ipv6.conf.default.disable_ipv6", "1");
  await ip(BRIDGE_NAMESPACE, "link", "set", "lo", "up");
  await ip(
    BRIDGE_NAMESPACE,
    "link",
    "add",
    BRIDGE_NAME,
    "type",
    "bridge",
    "stp_state",
    "0",
    "forward_delay",
    "0",
    "mcast_snooping",
    multicastSnooping ? "1" : "0",
  );
  await ip(BRIDGE_NAMESPACE, "link", "set", BRIDGE_NAME, "up");
  // Nor does a switch run netfilter. Where br_netfilter is loaded (on this machine, by the host's
  // container runtime), every bridged frame passes this namespace's (empty) iptables hooks, and the
  // sender pays in its own system time: bench l2 footprint's speaker spent 0.23 % of a core in the
  // kernel sending its heartbeats to the other three nodes, 0.07 % with these off (perf: br_nf_*).
  // Per namespace since Linux 5.3; absent without the module, which is the same as 0.
  for (const family of ["iptables", "ip6tables", "arptables"]) {
    const key = `net.bridge.bridge-nf-call-${family}`;
    const r = await run(inNamespace(BRIDGE_NAMESPACE, ["sysctl", "-qw", `${key}=0`]));
    if (r.exitCode !== 0 && !/cannot stat|No such file/i.test(r.stderr))
      throw new Error(`sysctl ${key}=0 in ${BRIDGE_NAMESPACE}: ${r.stderr.trim()}`);
  }
}

/** A veth from the namespace's `ifname` to `bridgePort` on `bridge` (in the bridge namespace), up there. */
export async function plugIntoBridge(
  ns: string,
  ifname: string,
  bridgePort: string,
  bridge: string,
): Promise<void> {
  await ip(BRIDGE_NAMESPACE, "link", "add", bridgePort, "type", "veth", "peer", "name", ifname, "netns", ns);
  await ip(BRIDGE_NAMESPACE, "link", "set", bridgePort, "master", bridge, "up");
}

async function createMember(m: Member, realNodes: boolean): Promise<void> {
  await runOk(["ip", "netns", "add", m.name]);
  await ip(m.name, "link", "set", "lo", "up");
  await plugIntoBridge(m.name, m.ifname, m.bridgePort, BRIDGE_NAME);
  // Addresses usable at once: no duplicate address detection, also for the link-local address
  // (NDP answers are sent from it).
  await sysctlIn(m.name, `net.ipv6.conf.${m.ifname}.accept_dad`, "0");
  await ip(m.name, "link", "set", m.ifname, "address", m.mac);
  await ip(m.name, "addr", "add", `${m.ipv4}/${IPV4_PREFIX_LENGTH}`, "dev", m.ifname);
  await ip(m.name, "addr", "add", `${m.ipv6}/${IPV6_PREFIX_LENGTH}`, "dev", m.ifname, "nodad");
  await ip(m.name, "link", "set", m.ifname, "up");
  if (!realNodes && APISERVER_REACHABLE_FROM.includes(m.name)) {
    await ip(m.name, "addr", "add", `${APISERVER_SERVICE_IP}/32`, "dev", "lo");
  }
}

interface IpAddrJson {
  ifname: string;
  address?: string;
  flags?: string[];
  addr_info?: Array<{ family: string; local: string; prefixlen: number }>;
}

async function addrs(ns: string, dev: string): Promise<IpAddrJson | undefined> {
  const result = await run(["ip", "-n", ns, "-j", "addr", "show", "dev", dev]);
  if (result.exitCode !== 0) return undefined;
  return (JSON.parse(result.stdout) as IpAddrJson[])[0];
}

function hasAddr(info: IpAddrJson | undefined, local: string, prefixlen: number): boolean {
  return (info?.addr_info ?? []).some((a) => a.local === local && a.prefixlen === prefixlen);
}

/** What is wrong with the namespaces and links (empty when the network is exactly as planned). */
export async function networkProblems(multicastSnooping?: boolean, realNodes?: boolean): Promise<string[]> {
  const problems: string[] = [];
  for (const ns of NAMESPACES) if (!namespaceExists(ns)) problems.push(`namespace ${ns} missing`);
  if (problems.length > 0) return problems;
  if (multicastSnooping !== undefined) {
    const br = await run(["ip", "-n", BRIDGE_NAMESPACE, "-d", "-j", "link", "show", BRIDGE_NAME]);
    const info =
      br.exitCode === 0
        ? (JSON.parse(br.stdout) as Array<{ linkinfo?: { info_data?: { mcast_snooping?: number } } }>)[0]
        : undefined;
    const snooping = info?.linkinfo?.info_data?.mcast_snooping;
    if (snooping !== (multicastSnooping ? 1 : 0)) {
      problems.push(
        `bridge ${BRIDGE_NAME}: mcast_snooping ${snooping} instead of ${multicastSnooping ? 1 : 0}`,
      );
    }
  }
  const ports = await run(["ip", "-n", BRIDGE_NAMESPACE, "-j", "link", "show", "master", BRIDGE_NAME]);
  const portList =
    ports.exitCode === 0 ? (JSON.parse(ports.stdout) as Array<{ ifname: string; flags?: string[] }>) : [];
  for (const m of MEMBERS) {
    const port = portList.find((p) => p.ifname === m.bridgePort);
    if (!port?.flags?.includes("UP")) problems.push(`bridge port ${m.bridgePort} missing or down`);
    const eth = await addrs(m.name, m.ifname);
    if (!eth) {
      problems.push(`${m.name}: no ${m.ifname}`);
      continue;
    }
    if (eth.address !== m.mac) problems.push(`${m.name}: MAC ${eth.address} instead of ${m.mac}`);
    if (!eth.flags?.includes("UP")) problems.push(`${m.name}: ${m.ifname} down`);
    if (!hasAddr(eth, m.ipv4, IPV4_PREFIX_LENGTH)) problems.push(`${m.name}: ${m.ipv4} missing`);
    if (!hasAddr(eth, m.ipv6, IPV6_PREFIX_LENGTH)) problems.push(`${m.name}: ${m.ipv6} missing`);
    const lo = await addrs(m.name, "lo");
    if (!lo?.flags?.includes("UP")) problems.push(`${m.name}: lo down`);
    if (realNodes !== undefined && APISERVER_REACHABLE_FROM.includes(m.name)) {
      const has = hasAddr(lo, APISERVER_SERVICE_IP, 32);
      if (!realNodes && !has) problems.push(`${m.name}: ${APISERVER_SERVICE_IP} missing on lo`);
      if (realNodes && has)
        problems.push(`${m.name}: ${APISERVER_SERVICE_IP} on lo (a real node needs none)`);
    }
  }
  return problems;
}

async function waitListening(ns: string, port: number, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ss = await execIn(ns, ["ss", "-Hltn", `sport = :${port}`]);
    if (ss.stdout.trim() !== "") return;
    await Bun.sleep(50);
  }
  throw new Error(`${what} in ${ns} is not listening on port ${port} after ${timeoutMs} ms`);
}

export const webServerKey = (node: string) => `${node}.web`;
export const forwarderKey = (ns: string) => `${ns}.apiserver-forwarder`;

/** Starts the daemon under this key unless the same command is already running; waits until it listens. */
async function ensureDaemon(ns: string, key: string, argv: string[], port: number): Promise<void> {
  const existing = loadRecord(key);
  const wanted = inNamespace(ns, argv);
  if (existing && isAlive(existing) && existing.argv.join("\0") === wanted.join("\0")) return;
  if (existing) await stopProcess(existing);
  spawnIn(ns, argv, { key, detached: true });
  await waitListening(ns, port, key);
}

/**
 * Makes the network exactly as planned: builds it from nothing, rebuilds it if it is partial or
 * stale (e.g. after a crashed run), leaves a complete one alone, and (re)starts any missing daemon.
 */
export async function netUp(opts: NetUpOptions = {}): Promise<void> {
  await acquireLease(opts.leaseWaitMs ?? 600_000);
  const snooping = opts.multicastSnooping ?? false;
  const realNodes = opts.realNodes ?? false;
  const problems = await networkProblems(snooping, realNodes);
  if (problems.length > 0) {
    if (NAMESPACES.some(namespaceExists)) {
      console.error(`net: rebuilding the testbed (${problems.slice(0, 3).join("; ")})`);
      await teardown();
    }
    await createBridge(snooping);
    for (const m of MEMBERS) await createMember(m, realNodes);
    const after = await networkProblems(snooping, realNodes);
    if (after.length > 0) throw new Error(`net: testbed incomplete after creation: ${after.join("; ")}`);
  }
  if (realNodes) return;
  await Promise.all(
    NODES.map((n) =>
      ensureDaemon(
        n.name,
        webServerKey(n.name),
        [process.execPath, WEB_SERVER_SCRIPT, n.name, String(WEB_PORT)],
        WEB_PORT,
      ),
    ),
  );
  const socket = opts.apiserverUnixSocket;
  if (socket !== undefined) {
    if (!existsSync(socket)) throw new Error(`net: apiserver unix socket ${socket} does not exist`);
    await Promise.all(
      APISERVER_REACHABLE_FROM.map((ns) =>
        ensureDaemon(
          ns,
          forwarderKey(ns),
          [
            "socat",
            // nodelay: a client's small writes (a Go client's request headers, then its body)
            // would otherwise wait for the ACK of the first, which the apiserver delays.
            `TCP4-LISTEN:${APISERVER_SERVICE_PORT},bind=${APISERVER_SERVICE_IP},fork,reuseaddr,nodelay`,
            `UNIX-CONNECT:${socket}`,
          ],
          APISERVER_SERVICE_PORT,
        ),
      ),
    );
  }
}

/** pids of every process still inside one of our namespaces. */
async function pidsInOurNamespaces(): Promise<Array<{ ns: string; pid: number }>> {
  const found: Array<{ ns: string; pid: number }> = [];
  for (const ns of NAMESPACES) {
    if (!namespaceExists(ns)) continue;
    const out = await run(["ip", "netns", "pids", ns]);
    for (const line of out.stdout.split("\n")) {
      const pid = Number(line.trim());
      if (line.trim() !== "" && Number.isInteger(pid)) found.push({ ns, pid });
    }
  }
  return found;
}

async function teardown(keepLogs = false): Promise<void> {
  // 0. Real nodes (e2e/nodes) first: their cgroups and mount points outlive their processes.
  //    Imported here, not above: the nodes' code builds on this file.
  const { removeRealNodes } = await import("../nodes/teardown.ts");
  const left = await removeRealNodes();
  if (left.length > 0) console.error(`net: real nodes left behind: ${left.join("; ")}`);
  //    A cluster running on the control-plane node cannot outlive its namespace: stop it politely.
  if (recordedPlacement() === "control-plane-node") await stopCluster();
  // 1. The processes we recorded (exact pid + start time), politely first.
  await Promise.all(loadRecords().map((r) => stopProcess(r, "SIGTERM", 2000)));
  // 2. Anything else still living inside our namespaces (started by hand or by a run whose pid file
  //    was lost) would keep the namespace alive after its name is gone: end it too, by pid.
  for (const { ns, pid } of await pidsInOurNamespaces()) {
    if (pid === process.pid) continue;
    let cmdline = "";
    try {
      cmdline = (await Bun.file(`/proc/${pid}/cmdline`).text()).replaceAll("\0", " ").trim();
    } catch {
      continue;
    }
    console.error(`net: ending untracked pid ${pid} in namespace ${ns}: ${cmdline}`);
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  // 3. The namespaces, members first; deleting a member's end of a veth deletes the bridge's end.
  for (const ns of [...NAMESPACES].reverse()) {
    if (!namespaceExists(ns)) continue;
    const result = await run(["ip", "netns", "delete", ns]);
    if (result.exitCode !== 0 && namespaceExists(ns)) {
      throw new Error(`net: could not delete namespace ${ns}: ${result.stderr.trim()}`);
    }
  }
  // 4. State files (pid files, logs), except the lease, which the caller releases.
  rmSync(join(NET_STATE_DIR, "pids"), { recursive: true, force: true });
  if (!keepLogs) rmSync(join(NET_STATE_DIR, "logs"), { recursive: true, force: true });
}

/**
 * Removes every namespace and process of the testbed and its state files. Safe to call at any time,
 * any number of times, also after a crashed run: what to delete is derived from the fixed namespace
 * names and the pid files, never from anything else.
 */
export async function netDown(opts: NetDownOptions = {}): Promise<void> {
  const holder = currentHolder();
  if (!opts.force && heldByOther(holder)) {
    throw new Error(
      `net: not tearing down, the testbed is in use by pid ${holder.pid} (${holder.argv.join(" ")}); ` +
        "use netDown({ force: true }) / `bun e2e/net/cli.ts down --force`",
    );
  }
  const keepLogs = opts.keepLogs ?? process.env.METALBUN_KEEP_LOGS === "1";
  await teardown(keepLogs);
  releaseLease();
  if (opts.force) rmSync(join(NET_STATE_DIR, "lease.json"), { force: true });
  if (!keepLogs) rmSync(NET_STATE_DIR, { recursive: true, force: true });
}

let signalCleanupInstalled = false;

/**
 * On SIGINT/SIGTERM, tear the testbed down before exiting (tests call this next to afterAll, so an
 * interrupted run leaves nothing behind).
 */
export function netDownOnSignals(): void {
  if (signalCleanupInstalled) return;
  signalCleanupInstalled = true;
  for (const [signal, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const) {
    process.once(signal, () => {
      console.error(`net: ${signal} received, tearing the testbed down`);
      netDown()
        .catch((err) => console.error(`net: cleanup after ${signal} failed: ${err}`))
        .finally(() => process.exit(code));
    });
  }
}

export interface NetStatus {
  readonly namespaces: Array<{ name: string; exists: boolean }>;
  readonly problems: string[];
  readonly processes: Array<{ key: string; pid: number; alive: boolean; namespace: string; argv: string }>;
  readonly leaseHolder: number | undefined;
}

export async function netStatus(): Promise<NetStatus> {
  return {
    namespaces: NAMESPACES.map((name) => ({ name, exists: namespaceExists(name) })),
    problems: await networkProblems(),
    processes: loadRecords().map((r) => ({
      key: r.key,
      pid: r.pid,
      alive: isAlive(r),
      namespace: r.namespace,
      argv: r.argv.join(" "),
    })),
    leaseHolder: currentHolder()?.pid,
  };
}
