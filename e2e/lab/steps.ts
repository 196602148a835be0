/**
 * The seed lab's steps, each a function that does what the seed note does and checks what it shows.
 * A step returns `ok` plus a one-line summary (the --ci line) and the output a person would look at.
 */
import { join } from "node:path";
import { kubectl } from "../cluster/cluster.ts";
import { NODES } from "../net/topology.ts";
import { installBundleAndWebpods } from "../nodes/install.ts";
import { realClusterDown, realClusterUp } from "../nodes/real-cluster.ts";
import type { FrrHandle } from "../peers/frr.ts";
import { l2Steps } from "./l2-steps.ts";

export interface LabContext {
  /** Takeover times measured at mypc in step 8. */
  failoverMs?: number[];
  /** The BGP lab's router (FRR in `router`), stopped by the cleanup. */
  frr?: FrrHandle;
  /** The BGP lab: ms from the hard kill until the router dropped the node's next hop. */
  holdFailoverMs?: number;
}

export interface StepOutcome {
  readonly ok: boolean;
  readonly summary: string;
  readonly detail?: string;
}

export interface LabStep {
  readonly n: number;
  readonly title: string;
  run(ctx: LabContext): Promise<StepOutcome>;
}

export const SEED = join(import.meta.dir, "seed");

export async function kubectlOut(args: string[]): Promise<string> {
  const r = await kubectl(args);
  if (r.exitCode !== 0) throw new Error(`kubectl ${args.join(" ")}: ${r.stderr.trim()}`);
  return r.stdout;
}

export function shown(command: string, output: string): string {
  return `$ ${command}\n${output.trimEnd()}`;
}

interface PodList {
  items: Array<{
    metadata: { name: string; labels?: Record<string, string> };
    spec: { nodeName?: string };
    status: { podIP?: string; hostIP?: string; phase?: string };
  }>;
}

export const install: LabStep = {
  n: 1,
  title: "install metalbun with one command",
  async run() {
    // A fresh cluster every time, so what the lab shows never depends on an earlier run.
    await realClusterDown();
    await realClusterUp();
    // The bundle, then the seed's web pods behind svc1-svc3.
    const { applied, notRolledOut: problems } = await installBundleAndWebpods();
    const crds = (await kubectlOut(["get", "crd", "-o", "name"]))
      .split("\n")
      .filter((l) => l.includes("metallb.io"));
    const pods = JSON.parse(
      await kubectlOut(["get", "pods", "-n", "metallb-system", "-o", "json"]),
    ) as PodList;
    const speakers = pods.items.filter((p) => p.metadata.labels?.component === "speaker");
    const controller = pods.items.find((p) => p.metadata.labels?.component === "controller");
    // A speaker is on its node's host network (pod IP = node IP); the controller has a pod IP.
    const speakersOnHost = speakers.filter(
      (p) => p.status.podIP !== undefined && p.status.podIP === p.status.hostIP,
    ).length;
    const controllerOnPodNetwork = controller?.status.podIP?.startsWith("10.244.") ?? false;
    const wide = await kubectlOut(["get", "pods", "-n", "metallb-system", "-o", "wide"]);
    const nodes = await kubectlOut(["get", "nodes", "-o", "wide"]);
    const ok =
      crds.length === 9 && problems.length === 0 && speakersOnHost === NODES.length && controllerOnPodNetwork;
    return {
      ok,
      summary:
        problems.length > 0
          ? `not rolled out: ${problems.join("; ")}`
          : `${crds.length} metallb.io CRDs (incl. BGP ones); controller ready on ${controller?.spec.nodeName} (pod IP ${controller?.status.podIP}); ${speakersOnHost}/${NODES.length} speakers ready on the host network of each node`,
      detail: [
        shown("kubectl apply --server-side -f deploy/metalbun.yaml", applied),
        shown("kubectl get crd | grep metallb.io", crds.join("\n")),
        shown("kubectl get nodes -o wide", nodes),
        shown("kubectl get pods -n metallb-system -o wide", wide),
        "No External IP exists yet.",
      ].join("\n\n"),
    };
  },
};

export function applySeed(n: number, file: string, resource: string, name: string): LabStep {
  return {
    n,
    title: `apply the seed's ${resource === "ipaddresspools" ? "IPAddressPool" : "L2Advertisement"} verbatim`,
    async run() {
      const applied = await kubectlOut(["apply", "-f", join(SEED, file)]);
      const listed = await kubectlOut(["get", resource, "-n", "metallb-system"]);
      const ok = new RegExp(`^${name}\\s`, "m").test(listed);
      return {
        ok,
        summary: ok ? `kubectl get ${resource} -n metallb-system lists ${name}` : `${name} is not listed`,
        detail: [
          shown(`kubectl apply -f ${file}`, applied),
          shown(`kubectl get ${resource} -n metallb-system`, listed),
        ].join("\n\n"),
      };
    },
  };
}

const POOL_RANGE = { first: 0xac12ffc8, last: 0xac12fffa }; // 172.18.255.200 - 172.18.255.250

function inSeedRange(ip: string): boolean {
  const parts = ip.split(".").map(Number);
  if (parts.length !== 4) return false;
  const n = ((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]!;
  return n >= POOL_RANGE.first && n <= POOL_RANGE.last;
}

export async function externalIPs(names: readonly string[]): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const name of names) {
    out[name] = (
      await kubectlOut([
        "get",
        "svc",
        name,
        "-n",
        "default",
        "-o",
        "jsonpath={.status.loadBalancer.ingress[*].ip}",
      ])
    ).trim();
  }
  return out;
}

export const SERVICES = ["svc1", "svc2", "svc3"] as const;

/** The seed Services' IPs, in the order of SERVICES ("" while one is pending). */
export async function serviceIPs(): Promise<string[]> {
  const ips = await externalIPs(SERVICES);
  return SERVICES.map((s) => ips[s] ?? "");
}

export const createServices = (n: number): LabStep => ({
  n,
  title: "create svc1, svc2, svc3 (type: LoadBalancer, port 80, selector app: webpod)",
  async run() {
    const applied = await kubectlOut(["apply", ...SERVICES.flatMap((s) => ["-f", join(SEED, `${s}.yaml`)])]);
    const deadline = Date.now() + 15_000;
    let ips = await externalIPs(SERVICES);
    while (Object.values(ips).some((ip) => ip === "") && Date.now() < deadline) {
      await Bun.sleep(100);
      ips = await externalIPs(SERVICES);
    }
    const listed = await kubectlOut(["get", "svc", "-n", "default"]);
    const ok = SERVICES.every((s) => inSeedRange(ips[s] ?? ""));
    const summary = SERVICES.map((s) => `${s}=${ips[s] || "<pending>"}`).join(", ");
    return {
      ok,
      summary: ok ? `External IPs from 172.18.255.200-250: ${summary}` : `not all assigned: ${summary}`,
      detail: [
        shown("kubectl apply -f svc1.yaml -f svc2.yaml -f svc3.yaml", applied),
        shown("kubectl get svc", listed),
      ].join("\n\n"),
    };
  },
});

export const labSteps: readonly LabStep[] = [
  install,
  applySeed(2, "ippool.yaml", "ipaddresspools", "my-ippool"),
  applySeed(3, "l2advertisement.yaml", "l2advertisements", "my-l2-advertise"),
  createServices(4),
  ...l2Steps,
];
