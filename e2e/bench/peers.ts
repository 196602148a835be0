/**
 * `bun run bench peers [alone | failover]`: metalbun side by side with MetalLB, on the same testbed
 * cluster (host mode: etcd + kube-apiserver, no kubelet), measured the same way, one JSON object
 * per line. Measured, never asserted: targets live in the issue.
 *
 * MetalLB is the release pinned in e2e/peers/build-metallb.sh, built from the Go module proxy into
 * the testbed cache (run that script once before, outside any lock: it is the heavy part). Only its
 * binaries are run; none of its code is in this repository.
 *
 * The controllers (peer-controllers.ts) run alone, in turn, each in a private network namespace of
 * its own (its health and metrics ports bind no host address) that reaches the apiserver through
 * the cluster's unix socket and a TCP_NODELAY relay on the namespace's loopback: the same path for both.
 *
 * - create_to_ip_ms_{p50,p99}_alone (bench "peers-metallb" / "peers-metalbun"): 200 Services
 *   created one by one at 20/s on a cluster holding only them; from the create's answer to the IP
 *   seen by a watch (lb-services.ts, the same churn `bench controller` times).
 * - the same with 10k LoadBalancer Services already assigned (suffix _10k); `bun run bench peers
 *   alone` runs only the part without them.
 * - create_to_ip_p99_ratio_to_metallb, create_to_ip_p99_10k_ratio_to_metallb (and the _p50_
 *   ones): ours divided by MetalLB's, medians of METALBUN_PEERS_ROUNDS rounds (default 3; the
 *   controllers take turns), below 1.0: ours is faster. Each round also prints its own figures.
 * - start_to_caught_up_s_{alone,10k}: from a controller's start until a probe Service got its IP
 *   within a second (see waitWorking).
 * - failover_ms_*, failover_p99_ratio_to_metallb: Layer 2 failover with each one's speakers, on a
 *   cluster of its own (peers-failover.ts); `bun run bench peers failover` runs only that part.
 *
 * p99 of 200 is the second-slowest Service: on two shared cores one run's ratio moves a lot
 * (0.75 to 2.7 between two runs here); p50 is the steadier comparison.
 */
import { join } from "node:path";
import type { Service } from "../../operator/src/domain/api/core.ts";
import { KubeClient } from "../../operator/src/kube/client.ts";
import { resolveConnection } from "../../operator/src/kube/config.ts";
import { resources } from "../../operator/src/kube/resource.ts";
import type { KubeObject } from "../../operator/src/kube/types.ts";
import { ensureCluster, kubectl, stopCluster } from "../cluster/cluster.ts";
import { operatorProgram } from "../lab/program.ts";
import { benchService, createAtSteadyRate, createServices, mapLimit } from "./lb-services.ts";
import {
  metallbBinDir,
  NAMESPACE,
  type Peer,
  type Running,
  startPeer,
  stopPeer,
  writeMetallbControllerPod,
} from "./peer-controllers.ts";
import { peersFailover } from "./peers-failover.ts";
import { emit, percentile } from "./report.ts";

const ROOT = join(import.meta.dir, "..", "..");
const POOL = "peers";
const CHURN_COUNT = 200;
const CHURN_INTERVAL_MS = 50; // 20/s
const BULK = 10_000;
async function ipOf(client: KubeClient, namespace: string, name: string): Promise<string | undefined> {
  const s = await client.get<Service & KubeObject>(resources.services, name, namespace);
  return s.status?.loadBalancer?.ingress?.[0]?.ip;
}

/**
 * Ready means working and caught up: probe Services are created one at a time until one gets its
 * IP within a second of its create (a controller still busy with what its start stirred up, such
 * as the existing Services, answers a probe late). Then a short pause before the churn.
 */
async function waitWorking(client: KubeClient, running: Running, probe: string): Promise<void> {
  const deadline = performance.now() + 300_000;
  for (let i = 0; ; i++) {
    const name = `${probe}-${i}`;
    await client.create(resources.services, benchService("peers-warm", name));
    const created = performance.now();
    while (!(await ipOf(client, "peers-warm", name))) {
      if (performance.now() > deadline) throw new Error(`${running.peer}: probe ${name} got no IP`);
      const code = await Promise.race([running.proc.exited, Bun.sleep(20).then(() => undefined)]);
      if (code !== undefined) throw new Error(`${running.peer} controller exited (${code})`);
    }
    const took = performance.now() - created;
    console.error(`[${running.peer}] probe ${name}: IP after ${Math.round(took)} ms`);
    if (took < 1000) break;
    if (performance.now() > deadline) throw new Error(`${running.peer}: never caught up`);
  }
  await Bun.sleep(2000);
}

interface Measured {
  readonly p50: number;
  readonly p99: number;
}

async function churn(client: KubeClient, peer: Peer, namespace: string, suffix: string): Promise<Measured> {
  const times = await createAtSteadyRate(client, namespace, CHURN_COUNT, CHURN_INTERVAL_MS, "c");
  if (times.missing > 0) throw new Error(`${peer}: ${times.missing}/${CHURN_COUNT} Services got no IP`);
  const bench = `peers-${peer}`;
  // METALBUN_BENCH_TRACE=1: every Service's time in creation order, to tell a queue building up
  // (a rate below 20/s) from a steady cost.
  if (process.env.METALBUN_BENCH_TRACE === "1")
    console.error(`[${bench} ${suffix}] ${times.fromAck.map((t) => Math.round(t)).join(" ")}`);
  const round = (x: number) => Math.round(x * 10) / 10;
  const fromAck = [...times.fromAck].sort((a, b) => a - b);
  const fromSend = [...times.fromSend].sort((a, b) => a - b);
  const measured = { p50: percentile(fromAck, 50), p99: percentile(fromAck, 99) };
  emit(bench, `create_to_ip_ms_p50_${suffix}`, round(measured.p50), "ms", fromAck.length);
  emit(bench, `create_to_ip_ms_p99_${suffix}`, round(measured.p99), "ms", fromAck.length);
  emit(bench, `create_to_ip_ms_max_${suffix}`, round(fromAck.at(-1) ?? Number.NaN), "ms", fromAck.length);
  emit(bench, `create_send_to_ip_ms_p99_${suffix}`, round(percentile(fromSend, 99)), "ms", fromSend.length);
  return measured;
}

async function deleteServices(client: KubeClient, namespace: string, count: number): Promise<void> {
  const names = Array.from({ length: count }, (_, i) => `c-${i}`);
  await mapLimit(names, 16, async (name) => {
    await client.delete(resources.services, name, namespace);
  });
}

/** Gives `names` an IP from the pool as a controller would have, annotation included. */
async function preassign(client: KubeClient, namespace: string, names: readonly string[]): Promise<void> {
  let i = 0;
  await mapLimit(names, 32, async (name) => {
    const n = i++;
    // 10.202.1.1 upwards, never .0 or .255; the churn's Services take the free 10.202.0.x.
    const ip = `10.202.${1 + Math.floor(n / 250)}.${1 + (n % 250)}`;
    await client.patchStatus(
      resources.services,
      name,
      namespace,
      {
        metadata: { annotations: { "metallb.io/ip-allocated-from-pool": POOL } },
        status: { loadBalancer: { ingress: [{ ip }] } },
      },
      { type: "merge" },
    );
  });
}

async function setUp(client: KubeClient): Promise<void> {
  await kubectl(["apply", "--server-side", "-f", join(ROOT, "deploy", "metalbun.yaml")]);
  await kubectl(["wait", "--for=condition=Established", "--timeout=60s", "-f", join(ROOT, "crds")]);
  for (const ns of ["peers-warm", "peers-bulk"]) await kubectl(["create", "namespace", ns]);
  for (const peer of ["metallb", "metalbun"])
    for (const part of ["alone", "10k"]) await kubectl(["create", "namespace", `peers-${peer}-${part}`]);
  await writeMetallbControllerPod();
  await client.create(resources.ipAddressPools, {
    apiVersion: "metallb.io/v1beta1",
    kind: "IPAddressPool",
    metadata: { name: POOL, namespace: NAMESPACE },
    spec: { addresses: ["10.202.0.0/16"] },
  } as KubeObject);
}

async function measurePeer(
  client: KubeClient,
  peer: Peer,
  part: "alone" | "10k",
  round: number,
): Promise<Measured> {
  const started = performance.now();
  const running = await startPeer(peer, part);
  try {
    await waitWorking(client, running, `${peer}-${part}-r${round}`);
    // From the start until a new Service got its IP within a second: how long a restart keeps
    // new Services waiting (with 10k existing, it shows the cost of taking them in).
    const caughtUp = Math.round((performance.now() - started - 2000) / 100) / 10;
    emit(`peers-${peer}`, `start_to_caught_up_s_${part}`, caughtUp, "s", 1);
    return await churn(client, peer, `peers-${peer}-${part}`, part);
  } finally {
    await stopPeer(running);
  }
}

/**
 * Ours divided by MetalLB's, of each round's p99 and p50, medians over the rounds (a round's p99 is
 * the second-slowest of 200 on two shared cores: one alone swings by 3x between runs).
 */
function ratios(metric: string, ours: readonly Measured[], theirs: readonly Measured[]): void {
  const median = (xs: number[]) =>
    percentile(
      xs.sort((a, b) => a - b),
      50,
    );
  const of = (rounds: readonly Measured[], key: keyof Measured) => median(rounds.map((r) => r[key]));
  const n = CHURN_COUNT * ours.length;
  emit("peers", metric, Number((of(ours, "p99") / of(theirs, "p99")).toPrecision(3)), "ratio", n);
  const p50Metric = metric.replace("_p99_", "_p50_");
  emit("peers", p50Metric, Number((of(ours, "p50") / of(theirs, "p50")).toPrecision(3)), "ratio", n);
}

/** Rounds of the churn per controller, alternating (METALBUN_PEERS_ROUNDS, default 3). */
const ROUNDS = Number(process.env.METALBUN_PEERS_ROUNDS ?? 3);

export async function peersBench(): Promise<void> {
  // `bun run bench peers [alone | failover]`: only the create→IP part alone, or only the failover.
  const parts = process.argv.slice(3);
  const bin = await metallbBinDir();
  await operatorProgram();
  if (!parts.includes("failover")) await createToIp(parts.includes("alone"));
  if (parts.length === 0 || parts.includes("failover")) {
    // A cluster of its own: the churn's pool would take the Services off the announced segment.
    await stopCluster();
    const cluster = await ensureCluster();
    const client = new KubeClient(await resolveConnection({ kubeconfig: cluster.kubeconfig, env: {} }));
    try {
      await kubectl(["apply", "--server-side", "-f", join(ROOT, "deploy", "metalbun.yaml")]);
      await kubectl(["wait", "--for=condition=Established", "--timeout=60s", "-f", join(ROOT, "crds")]);
      await writeMetallbControllerPod();
      await peersFailover(client, bin, cluster.apiserverUnixSocket);
    } finally {
      await stopCluster();
    }
  }
}

async function createToIp(aloneOnly: boolean): Promise<void> {
  await stopCluster();
  const cluster = await ensureCluster();
  const client = new KubeClient(await resolveConnection({ kubeconfig: cluster.kubeconfig, env: {} }));
  try {
    await setUp(client);

    // Alone: each controller on a cluster holding only the churn's Services (and the probes), in
    // turn, ROUNDS times.
    const alone: Record<Peer, Measured[]> = { metallb: [], metalbun: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const peer of ["metallb", "metalbun"] as const) {
        alone[peer].push(await measurePeer(client, peer, "alone", round));
        await deleteServices(client, `peers-${peer}-alone`, CHURN_COUNT);
      }
    }
    ratios("create_to_ip_p99_ratio_to_metallb", alone.metalbun, alone.metallb);
    if (aloneOnly) return;

    // With 10k LoadBalancer Services already assigned (created and given IPs with no controller
    // running, as a controller would have written them): each controller starts on them, then the
    // same churn.
    const names = await createServices(client, "peers-bulk", BULK, "b");
    await preassign(client, "peers-bulk", names);
    const bulk: Record<Peer, Measured[]> = { metallb: [], metalbun: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const peer of ["metallb", "metalbun"] as const) {
        bulk[peer].push(await measurePeer(client, peer, "10k", round));
        await deleteServices(client, `peers-${peer}-10k`, CHURN_COUNT);
      }
    }
    ratios("create_to_ip_p99_10k_ratio_to_metallb", bulk.metalbun, bulk.metallb);
  } finally {
    await stopCluster();
  }
}
