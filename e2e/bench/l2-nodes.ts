/**
 * `bun run bench l2-nodes [failover] [handover] [rolling]`: the Layer 2 failover figures on real
 * nodes (e2e/nodes): the bundle applied with kubectl, the speakers the DaemonSet's pods, kube-proxy
 * carrying the traffic to the seed's webpod pods. One JSON object per line; measured, never asserted.
 *
 * - failover_ms_*: the node owning a Service is killed hard (link cut, every process SIGKILLed);
 *   time until mypc's neighbour entry for the IP names another node (its gratuitous ARP) and a curl
 *   through it is answered. The node then starts again, the IP fails back, and the next trial starts.
 * - handover_lost_probes: the owner's speaker pod deleted (SIGTERM, the DaemonSet makes a new one)
 *   while mypc sends a fresh HTTP request every 10 ms; a request failing or taking over 200 ms is lost.
 * - rolling_restart_lost_probes: `kubectl rollout restart daemonset/speaker` under the same probing.
 */
import { join } from "node:path";
import { kubectl } from "../cluster/cluster.ts";
import { execIn } from "../net/exec.ts";
import { run } from "../net/run.ts";
import { netDownOnSignals } from "../net/testbed.ts";
import { CLIENT, memberByMac, nodeNamed } from "../net/topology.ts";
import { installedBundleAndWebpods } from "../nodes/install.ts";
import { killNode, realClusterDown, realClusterUp, restartNode } from "../nodes/real-cluster.ts";
import { probeWhile } from "./probe-while.ts";
import { emit, emitPercentiles, until } from "./report.ts";

const BENCH = "l2-nodes";
const ROOT = join(import.meta.dir, "..", "..");
const SEED = join(ROOT, "e2e", "lab", "seed");
const SERVICES = ["svc1", "svc2", "svc3"] as const;

async function ok(args: string[]): Promise<string> {
  const r = await kubectl(args);
  if (r.exitCode !== 0) throw new Error(`kubectl ${args.join(" ")}: ${r.stderr.trim()}`);
  return r.stdout;
}

function stats(name: string, samples: number[]): void {
  emitPercentiles(BENCH, name, samples, "ms", 1);
}

async function neighMac(ip: string): Promise<string | undefined> {
  const r = await run(["ip", "-n", CLIENT.name, "neigh", "show", ip, "dev", "eth0"]);
  return r.stdout.match(/lladdr ([0-9a-f:]{17})/)?.[1];
}

/** The node answering ARP for `ip` now (a ping makes mypc resolve it as traffic would). */
async function owner(ip: string): Promise<string | undefined> {
  await execIn(CLIENT.name, ["ping", "-c", "1", "-W", "1", ip]);
  const mac = await neighMac(ip);
  return mac ? memberByMac(mac)?.name : undefined;
}

async function serviceIp(name: string): Promise<string> {
  return until(
    async () =>
      (await ok(["get", "svc", name, "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}"])).trim(),
    (ip) => ip !== "",
    30_000,
    100,
  );
}

async function failoverTrials(ips: readonly string[], trials: number): Promise<number[]> {
  const samples: number[] = [];
  for (let t = 0; t < trials; t++) {
    const ip = ips[t % ips.length]!;
    const victim = await owner(ip);
    if (victim === undefined) throw new Error(`no owner for ${ip}`);
    const victimMac = nodeNamed(victim).mac;
    const started = performance.now();
    await killNode(nodeNamed(victim));
    const moved = await until(
      () => neighMac(ip),
      (m) => m !== undefined && m !== victimMac,
      10_000,
    );
    const ms = performance.now() - started;
    // Until the node controller marks the dead node NotReady, kube-proxy still sends a share of the
    // connections to its (dead) webpod pod: a few tries find a live one.
    let answered = false;
    for (let attempt = 0; attempt < 6 && !answered; attempt++) {
      const reply = await execIn(CLIENT.name, ["curl", "-s", "-m", "1", `http://${ip}/`]);
      answered = /^Hostname: webpod-/m.test(reply.stdout);
    }
    if (moved === victimMac || !answered) {
      throw new Error(`trial ${t}: ${ip} did not move off ${victim} (neigh ${moved}, answered: ${answered})`);
    }
    samples.push(ms);
    console.error(`failover trial ${t}: ${ip} off ${victim} in ${ms.toFixed(0)} ms`);
    await restartNode(nodeNamed(victim));
    await ok(["rollout", "status", "daemonset/speaker", "-n", "metallb-system", "--timeout=180s"]);
    await until(
      () => owner(ip),
      (o) => o === victim,
      60_000,
      200,
    );
  }
  return samples;
}

async function speakerPodOn(node: string): Promise<string> {
  return (
    await ok([
      "get",
      "pods",
      "-n",
      "metallb-system",
      "-l",
      "component=speaker",
      "--field-selector",
      `spec.nodeName=${node}`,
      "-o",
      "jsonpath={.items[0].metadata.name}",
    ])
  ).trim();
}

export async function l2NodesBench(): Promise<void> {
  netDownOnSignals();
  try {
    await realClusterUp();
    await installedBundleAndWebpods();
    await ok(["apply", "-f", join(SEED, "ippool.yaml"), "-f", join(SEED, "l2advertisement.yaml")]);
    await ok(["apply", ...SERVICES.flatMap((s) => ["-f", join(SEED, `${s}.yaml`)])]);
    const ips = await Promise.all(SERVICES.map(serviceIp));
    await Bun.sleep(2000);

    const parts = process.argv.slice(3);
    const wanted = (part: string) => parts.length === 0 || parts.includes(part);
    if (wanted("failover"))
      stats("failover_ms", await failoverTrials(ips, Number(process.env.METALBUN_BENCH_TRIALS ?? 11)));
    if (wanted("handover")) {
      const ip = ips[0]!;
      const victim = await owner(ip);
      if (victim === undefined) throw new Error(`no owner for ${ip}`);
      const pod = await speakerPodOn(victim);
      const handed = await probeWhile([ip], async () => {
        await ok(["delete", "pod", "-n", "metallb-system", pod]);
        await ok(["rollout", "status", "daemonset/speaker", "-n", "metallb-system", "--timeout=180s"]);
      });
      emit(BENCH, "handover_lost_probes", handed.lost, "probes", handed.sent);
    }
    if (wanted("rolling")) {
      const rolling = await probeWhile(ips, async () => {
        await ok(["rollout", "restart", "daemonset/speaker", "-n", "metallb-system"]);
        await ok(["rollout", "status", "daemonset/speaker", "-n", "metallb-system", "--timeout=300s"]);
      });
      emit(BENCH, "rolling_restart_lost_probes", rolling.lost, "probes", rolling.sent);
    }
  } finally {
    await realClusterDown();
  }
}
