/**
 * The testbed as real Kubernetes: the seed's four nodes as network namespaces, etcd, the apiserver,
 * the controller-manager and the scheduler on myk8s-control-plane, and on every node containerd, a
 * kubelet and kube-proxy (node.ts). Workloads are real pods from locally built images; nothing is
 * pulled from a registry.
 *
 *   realClusterUp()    builds what is missing (binaries, images), brings everything up, waits for
 *                      every node to be Ready and routes the podCIDRs between the nodes
 *   realClusterDown()  ends every process and removes every namespace, cgroup, mount point and
 *                      state file, also after a crashed or interrupted run
 */
import { ensureCluster, kubectl, stopCluster } from "../cluster/cluster.ts";
import type { ClusterHandle } from "../cluster/harness.ts";
import { execIn } from "../net/exec.ts";
import { netDown, netUp } from "../net/testbed.ts";
import { type Member, NODES } from "../net/topology.ts";
import { nodeBinDir } from "./binaries.ts";
import type { ProxyMode } from "./configs.ts";
import { ensureControllers } from "./control-plane.ts";
import { testbedImages } from "./images.ts";
import { type NodeSpec, prepareNode, startNode, switchKubeProxyMode } from "./node.ts";
import { ensureNodeRoutes } from "./pod-routes.ts";
import { removeRealNodes } from "./teardown.ts";

export interface RealClusterOptions {
  /** kube-proxy's mode on every node (default iptables, the seed's). */
  readonly proxyMode?: ProxyMode;
}

/** The seed's control-plane node: tainted and excluded from load balancers, as kind (kubeadm) sets it up. */
const CONTROL_PLANE = NODES[0]!;

let specs: Map<string, NodeSpec> | undefined;

async function nodeSpecs(proxyMode: ProxyMode): Promise<Map<string, NodeSpec>> {
  const [binDir, images] = await Promise.all([nodeBinDir(), testbedImages()]);
  const pause = images.find((i) => i.role === "pause");
  if (!pause) throw new Error("no pause image among the testbed images");
  // containerd names an imported image by its full reference.
  const nodeImages = { tars: images.map((i) => i.archive), pauseImage: `docker.io/${pause.ref}` };
  specs = new Map(
    NODES.map((member) => [
      member.name,
      { member, binDir, images: nodeImages, proxyMode, controlPlane: member.name === CONTROL_PLANE.name },
    ]),
  );
  return specs;
}

async function kubectlOk(args: string[]): Promise<string> {
  const r = await kubectl(args);
  if (r.exitCode !== 0) throw new Error(`kubectl ${args.join(" ")}: ${r.stderr.trim()}`);
  return r.stdout;
}

interface NodeConditions {
  items: Array<{
    metadata: { name: string };
    spec?: { podCIDR?: string };
    status?: { conditions?: Array<{ type: string; status: string }> };
  }>;
}

/** Node names that are registered, Ready and have a podCIDR. */
export async function readyNodes(): Promise<string[]> {
  const list = JSON.parse(await kubectlOk(["get", "nodes", "-o", "json"])) as NodeConditions;
  return list.items
    .filter(
      (n) =>
        n.spec?.podCIDR !== undefined &&
        n.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True"),
    )
    .map((n) => n.metadata.name);
}

export async function waitNodesReady(names: readonly string[], timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ready = await readyNodes();
    const missing = names.filter((n) => !ready.includes(n));
    if (missing.length === 0) return;
    if (Date.now() > deadline) {
      throw new Error(
        `nodes not Ready after ${timeoutMs} ms: ${missing.join(", ")} (logs: /tmp/metalbun/nodes/<node>/logs)`,
      );
    }
    await Bun.sleep(250);
  }
}

/** kubeadm labels the control-plane node after it registers (a kubelet may not set node-role labels). */
async function labelControlPlane(): Promise<void> {
  await kubectlOk([
    "label",
    "node",
    CONTROL_PLANE.name,
    "--overwrite",
    "node-role.kubernetes.io/control-plane=",
    "node.kubernetes.io/exclude-from-external-load-balancers=",
  ]);
}

export async function realClusterUp(opts: RealClusterOptions = {}): Promise<ClusterHandle> {
  const proxyMode = opts.proxyMode ?? "iptables";
  await netUp({ realNodes: true });
  const cluster = await ensureCluster({ placement: "control-plane-node" });
  const [nodes] = await Promise.all([nodeSpecs(proxyMode), ensureControllers()]);
  for (const spec of nodes.values()) await prepareNode(spec);
  await Promise.all([...nodes.values()].map((spec) => startNode(spec)));
  await waitNodesReady(NODES.map((n) => n.name));
  await labelControlPlane();
  await ensureNodeRoutes();
  return cluster;
}

function specFor(member: Member): NodeSpec {
  const spec = specs?.get(member.name);
  if (!spec) throw new Error(`the real cluster is not up in this process (no spec for ${member.name})`);
  return spec;
}

/** The seed's `docker stop --signal 9 <node>`: every process of the node dies at once, its link goes down. */
export { killNode } from "./node.ts";

/** The seed's `docker start <node>`: the node's processes start again on its kept state. */
export async function restartNode(member: Member): Promise<void> {
  await startNode(specFor(member));
  await waitNodesReady([member.name]);
  await ensureNodeRoutes();
}

/**
 * Switches every node's kube-proxy to `mode` and waits until each new one is healthy (it has
 * synced its rules; in nftables mode it first removes the iptables mode's rules, and the other way
 * round).
 */
export async function setProxyMode(mode: ProxyMode): Promise<void> {
  if (!specs) throw new Error("the real cluster is not up in this process");
  const started = Date.now();
  for (const [name, spec] of specs) {
    const updated = { ...spec, proxyMode: mode };
    specs.set(name, updated);
    await switchKubeProxyMode(updated, mode);
  }
  const deadline = started + 60_000;
  for (const member of NODES) {
    for (;;) {
      // The old process may answer a moment longer: first the new one's mode on its metrics port,
      // then its /healthz, which says 200 once that proxier has synced its rules.
      const running = await execIn(member.name, [
        "curl",
        "-s",
        "-m",
        "1",
        "http://127.0.0.1:10249/proxyMode",
      ]);
      if (running.exitCode === 0 && running.stdout.trim() === mode) {
        const health = await execIn(member.name, [
          "curl",
          "-sf",
          "-m",
          "1",
          "http://127.0.0.1:10256/healthz",
        ]);
        if (health.exitCode === 0) break;
      }
      if (Date.now() > deadline) throw new Error(`kube-proxy on ${member.name} not healthy in ${mode} mode`);
      await Bun.sleep(200);
    }
  }
}

/** Removes every node, the controllers, the cluster and the network; throws with what it could not remove. */
export async function realClusterDown(): Promise<void> {
  const problems = await removeRealNodes();
  specs = undefined;
  await stopCluster();
  await netDown();
  if (problems.length > 0) throw new Error(`real nodes left behind: ${problems.join("; ")}`);
}
