/**
 * One real node in a testbed node namespace: containerd, a kubelet and kube-proxy, in the node's
 * own network, mount, UTS and PID namespaces (node-init.sh), with its own cgroup root and state
 * directory. Start, kill hard (the seed's `docker stop --signal 9`), start again, remove.
 */
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { clusterFiles } from "../cluster/paths.ts";
import { livePid, pidAlive, run, startDaemon } from "../cluster/process.ts";
import { inNamespace } from "../net/exec.ts";
import { IPV6_PREFIX_LENGTH, type Member } from "../net/topology.ts";
import { createNodeCgroups, removeNodeCgroups } from "./cgroups.ts";
import { cniTemplate, containerdConfig, kubeletConfig, kubeProxyConfig, type ProxyMode } from "./configs.ts";
import { writeKubeconfigFor } from "./identities.ts";
import {
  HOST_MOUNT_POINTS,
  KUBELET_GLOBAL_SYSCTLS,
  NODE_NAMESPACE_SYSCTLS,
  NODES_STATE_DIR,
  nodeFiles,
} from "./paths.ts";

const INIT_SCRIPT = join(import.meta.dir, "node-init.sh");
const PIDS = join(NODES_STATE_DIR, "pids");

export interface NodeImages {
  /** docker-archive tars to import into the node's containerd (one `ctr images import` each). */
  readonly tars: readonly string[];
  /** The pod sandbox image, one of the tars. */
  readonly pauseImage: string;
}

export interface NodeSpec {
  readonly member: Member;
  readonly binDir: string;
  readonly images: NodeImages;
  /** kube-proxy's mode; `undefined` runs no kube-proxy on the node. */
  readonly proxyMode: ProxyMode | undefined;
  readonly controlPlane: boolean;
}

/** Writes the node's configuration and makes its directories and cgroups (idempotent). */
export async function prepareNode(spec: NodeSpec): Promise<void> {
  const { member } = spec;
  const files = nodeFiles(member.name);
  mkdirSync(files.logs, { recursive: true });
  mkdirSync(files.sysctls, { recursive: true });
  mkdirSync(join(files.dir, "cni"), { recursive: true });
  for (const dir of Object.values(files.binds)) mkdirSync(dir, { recursive: true });
  for (const [key, value] of Object.entries(KUBELET_GLOBAL_SYSCTLS)) {
    writeFileSync(join(files.sysctls, key.replaceAll("/", ".")), `${value}\n`);
  }
  writeFileSync(
    files.containerdConfig,
    containerdConfig({ files, binDir: spec.binDir, pauseImage: spec.images.pauseImage }),
  );
  writeFileSync(files.cniTemplate, cniTemplate(files));
  writeFileSync(files.resolvConf, "nameserver 127.0.0.1\n");
  writeFileSync(
    files.kubeletConfig,
    kubeletConfig({
      node: member.name,
      nodeIp: member.ipv4,
      files,
      caFile: clusterFiles.caCert,
      controlPlane: spec.controlPlane,
    }),
  );
  await writeKubeconfigFor({ kind: "kubelet", node: member.name }, files.kubeletKubeconfig);
  if (spec.proxyMode) {
    writeFileSync(files.kubeProxyConfig, kubeProxyConfig({ node: member.name, files, mode: spec.proxyMode }));
    await writeKubeconfigFor({ kind: "kube-proxy" }, files.kubeProxyKubeconfig);
  }
  createNodeCgroups(member.name);
}

/** The host-side pid of the node's first process (PID 1 inside it), if the node runs. */
export function nodeInitPid(node: string): number | undefined {
  const launcher = livePid(PIDS, node);
  if (launcher === undefined) return undefined;
  try {
    const children = readFileSync(`/proc/${launcher}/task/${launcher}/children`, "utf8").trim();
    const pid = Number(children.split(/\s+/)[0]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function nodeRunning(node: string): boolean {
  return nodeInitPid(node) !== undefined;
}

async function waitFor(
  what: string,
  check: () => boolean,
  timeoutMs: number,
  logHint: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what} after ${timeoutMs} ms; see ${logHint}`);
    await Bun.sleep(50);
  }
}

/** Imports every image the node lacks (containerd keeps them across a node's restarts). */
async function importImages(spec: NodeSpec): Promise<void> {
  const files = nodeFiles(spec.member.name);
  const marker = join(files.dir, "images.imported");
  const wanted = spec.images.tars.join("\n");
  if (existsSync(marker) && readFileSync(marker, "utf8") === wanted) return;
  for (const tar of spec.images.tars) {
    // One file per call: `ctr images import a b` silently imports only the first.
    const r = await run(
      [
        join(spec.binDir, "ctr"),
        "--address",
        files.containerdSocket,
        "-n",
        "k8s.io",
        "images",
        "import",
        tar,
      ],
      { check: false },
    );
    if (r.exitCode !== 0) throw new Error(`importing ${tar} into ${spec.member.name}: ${r.stderr.trim()}`);
  }
  writeFileSync(marker, wanted);
}

/** Starts the node (its containerd, images, kubelet and kube-proxy) unless it runs; link up. */
export async function startNode(spec: NodeSpec): Promise<void> {
  const node = spec.member.name;
  if (nodeRunning(node)) return;
  const files = nodeFiles(node);
  ensureMountPoints();
  for (const [key, value] of Object.entries(NODE_NAMESPACE_SYSCTLS)) {
    await run(inNamespace(node, ["sysctl", "-qw", `${key}=${value}`]));
  }
  await run(["ip", "-n", node, "link", "set", spec.member.ifname, "up"]);
  // Linux drops a link's IPv6 addresses when it goes down (killNode), IPv4 ones it keeps; docker
  // start gives a kind node its addresses again, and the routes via the other nodes need it.
  await run([
    "ip",
    "-n",
    node,
    "addr",
    "replace",
    `${spec.member.ipv6}/${IPV6_PREFIX_LENGTH}`,
    "dev",
    spec.member.ifname,
    "nodad",
  ]);
  rmSync(join(files.dir, "containerd.ready"), { force: true });
  rmSync(join(files.dir, "images.ready"), { force: true });
  const binds = Object.entries(files.binds).map(([target, source], i) => [
    `BIND_${i}`,
    `${target}:${source}`,
  ]);
  const env = {
    NODE: node,
    // Both families, IPv4 first: the Node's InternalIPs, and the pair kube-proxy reads to run
    // an IPv4 and an IPv6 proxier.
    NODE_IPS: `${spec.member.ipv4},${spec.member.ipv6}`,
    NODE_DIR: files.dir,
    BIN: spec.binDir,
    PROXY: spec.proxyMode ? "1" : "0",
    ...Object.fromEntries(binds),
  };
  startDaemon(
    PIDS,
    node,
    [
      "env",
      ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
      "nsenter",
      `--net=/run/netns/${node}`,
      "--",
      "unshare",
      "--mount",
      "--uts",
      "--pid",
      "--fork",
      "--mount-proc",
      "--propagation",
      "slave",
      "bash",
      INIT_SCRIPT,
    ],
    join(files.logs, "launcher.log"),
  );
  const log = join(files.logs, "node.log");
  await waitFor(
    `${node}: containerd not up`,
    () => existsSync(join(files.dir, "containerd.ready")),
    30_000,
    log,
  );
  await importImages(spec);
  writeFileSync(join(files.dir, "images.ready"), "");
}

/**
 * Kills the node hard, as a power cut would: its link goes down first, so nothing leaves the node
 * any more (no FIN from a dying BGP session, no leave message), then SIGKILL to its first process
 * ends every process in it (kubelet, containerd, the containers) at once.
 */
export async function killNode(member: Member): Promise<void> {
  const init = nodeInitPid(member.name);
  const launcher = livePid(PIDS, member.name);
  await run(["ip", "-n", member.name, "link", "set", member.ifname, "down"], { check: false });
  if (init !== undefined) process.kill(init, "SIGKILL");
  const deadline = Date.now() + 10_000;
  while (launcher !== undefined && pidAlive(launcher) && Date.now() < deadline) await Bun.sleep(20);
  if (launcher !== undefined && pidAlive(launcher)) process.kill(launcher, "SIGKILL");
  rmSync(join(PIDS, `${member.name}.pid`), { force: true });
}

/** Kills the node and removes everything it had: cgroups, state, the empty mount points it made. */
export async function removeNode(member: Member): Promise<string[]> {
  await killNode(member);
  const problems = await removeNodeCgroups(member.name);
  rmSync(nodeFiles(member.name).dir, { recursive: true, force: true });
  return problems;
}

const CREATED_MOUNT_POINTS = join(NODES_STATE_DIR, "created-mount-points");

/**
 * The directories every node binds over must exist on the machine: the ones missing are made and
 * remembered, so that the clean-up removes exactly those (and only while empty).
 */
function ensureMountPoints(): void {
  mkdirSync(NODES_STATE_DIR, { recursive: true });
  for (const dir of HOST_MOUNT_POINTS) {
    if (existsSync(dir)) continue;
    mkdirSync(dir, { recursive: true });
    appendFileSync(CREATED_MOUNT_POINTS, `${dir}\n`);
  }
}

export function removeCreatedMountPoints(): void {
  if (!existsSync(CREATED_MOUNT_POINTS)) return;
  for (const dir of readFileSync(CREATED_MOUNT_POINTS, "utf8").split("\n").filter(Boolean)) {
    try {
      rmdirSync(dir);
    } catch {
      // not empty (somebody else's now) or already gone: leave it
    }
  }
  rmSync(CREATED_MOUNT_POINTS, { force: true });
}

/** Host-side pids of the node's processes named `comm` (the processes in the node's PID namespace). */
export function nodeProcesses(node: string, comm: string): number[] {
  const init = nodeInitPid(node);
  if (init === undefined) return [];
  let nodeNs: string;
  try {
    nodeNs = readlinkSync(`/proc/${init}/ns/pid`);
  } catch {
    return [];
  }
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    try {
      if (readlinkSync(`/proc/${pid}/ns/pid`) !== nodeNs) continue;
      if (readFileSync(`/proc/${pid}/comm`, "utf8").trim() === comm) found.push(pid);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

/**
 * Gives the node's kube-proxy a new mode: its configuration is rewritten and the running one ends;
 * node-init.sh starts it again at once with the new file, as a restarted systemd unit would.
 */
export async function switchKubeProxyMode(spec: NodeSpec, mode: ProxyMode): Promise<void> {
  const files = nodeFiles(spec.member.name);
  writeFileSync(files.kubeProxyConfig, kubeProxyConfig({ node: spec.member.name, files, mode }));
  for (const pid of nodeProcesses(spec.member.name, "kube-proxy")) {
    try {
      process.kill(pid, "SIGTERM");
    } catch (error) {
      // Ended between the listing and the signal (a kube-proxy still exiting from the last
      // switch): node-init.sh starts the next one with the new file all the same.
      if ((error as { code?: string }).code !== "ESRCH") throw error;
    }
  }
}
