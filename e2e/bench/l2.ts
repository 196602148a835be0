/**
 * `bun run bench l2`: Layer 2 failover and handover on the real testbed (the lab's cluster, network
 * and metalbun "as pods"), one JSON object per line. Measured, never asserted.
 *
 * - failover_ms_*: the owner of a Service is killed hard (speaker SIGKILLed, link cut); time until
 *   mypc's neighbour entry for the IP names another node (its gratuitous ARP) and a curl through it
 *   answers. Then the node comes back and the IP fails back, and the next trial starts.
 * - handover_lost_probes: the owner's speaker gets SIGTERM while mypc sends a fresh HTTP request to
 *   the IP every 10 ms; requests that fail or time out (200 ms) are lost.
 * - rolling_restart_lost_probes: every speaker restarted in turn under the same probing.
 * - create_to_arp_ms_*: a Service (with its EndpointSlice) is created; time until mypc holds a
 *   neighbour entry for its new IP (the first gratuitous ARP, with arp_accept=1 in mypc only).
 * - speaker_rss_mb_1k / speaker_idle_cpu_pct_1k: a speaker announcing with 1k Services present.
 * - speaker_sync_cpu_s_1000 / _10k: the CPU seconds that speaker spent taking in the Services
 *   created to get there (1k, then 9k more), from the first create until it settled.
 */
import { join } from "node:path";
import type { Service } from "../../operator/src/domain/api/core.ts";
import { KubeClient } from "../../operator/src/kube/client.ts";
import { resolveConnection } from "../../operator/src/kube/config.ts";
import { type ResourceType, resources } from "../../operator/src/kube/resource.ts";
import type { KubeObject } from "../../operator/src/kube/types.ts";
import { ensureCluster, kubectl, stopCluster } from "../cluster/cluster.ts";
import { registerEndpoints, registerEndpointsBulk } from "../cluster/endpoints.ts";
import { l2PoolManifest } from "../cluster/l2-pool.ts";
import { registerNodes } from "../cluster/nodes.ts";
import {
  HEALTH_PORT,
  type RunningOperator,
  restartSpeaker,
  startOperator,
  stopOperator,
  waitReady,
} from "../lab/operator.ts";
import { execIn, inNamespace } from "../net/exec.ts";
import { netDown, netUp, setServiceDnat } from "../net/testbed.ts";
import { CLIENT, NODES, WORKERS } from "../net/topology.ts";
import { failoverTrials, neighMac, ourSpeakers, owner } from "./l2-failover.ts";
import { assignedIp, lbService, seedWebServices } from "./l2-services.ts";
import { threadSeconds } from "./phase-cost.ts";
import { emit, emitPercentiles, until } from "./report.ts";
import { printMemory, procStats, speakerPid } from "./speaker-process.ts";

const BENCH = "l2";
const ROOT = join(import.meta.dir, "..", "..");
const PROBER = join(import.meta.dir, "l2-prober.ts");

async function ok(args: string[], stdin?: string): Promise<string> {
  const r = await kubectl(args, stdin === undefined ? {} : { stdin });
  if (r.exitCode !== 0) throw new Error(`kubectl ${args.join(" ")}: ${r.stderr.trim()}`);
  return r.stdout;
}

function stats(name: string, samples: number[], unit = "ms"): void {
  emitPercentiles(BENCH, name, samples, unit, 1);
}

/** Runs the prober in mypc for `durationMs` against `ips`; resolves with its {sent, lost}. */
function probe(ips: readonly string[], durationMs: number): Promise<{ sent: number; lost: number }> {
  const proc = Bun.spawn(inNamespace(CLIENT.name, ["bun", PROBER, String(durationMs), ...ips]), {
    stdout: "pipe",
    stderr: "inherit",
  });
  return new Response(proc.stdout).text().then((t) => JSON.parse(t.trim().split("\n").at(-1) ?? "{}"));
}

async function handover(op: RunningOperator, ip: string): Promise<{ sent: number; lost: number }> {
  const victim = await owner(ip);
  if (victim === undefined) throw new Error(`no owner for ${ip}`);
  const probing = probe([ip], 4000);
  await Bun.sleep(1000);
  await op.speakers.get(victim)?.stop("SIGTERM");
  await Bun.sleep(500);
  await restartSpeaker(op, victim, "warn");
  const result = await probing;
  await waitReady(victim);
  await until(
    () => owner(ip),
    (o) => o === victim,
    15_000,
    100,
  );
  return result;
}

async function rollingRestart(
  op: RunningOperator,
  ips: readonly string[],
): Promise<{ sent: number; lost: number }> {
  const probing = probe(ips, 4000 + NODES.length * 2500);
  await Bun.sleep(1000);
  for (const node of NODES) {
    // A DaemonSet rolling update: stop the old pod, start the new one, wait until it is ready.
    await op.speakers.get(node.name)?.stop("SIGTERM");
    await restartSpeaker(op, node.name, "warn");
    await waitReady(node.name);
    await Bun.sleep(1500);
  }
  return probing;
}

async function createToArp(client: KubeClient, n: number): Promise<number[]> {
  // Let GARP create entries in mypc (only there): what a client with an empty cache would see first.
  await execIn(CLIENT.name, ["sysctl", "-qw", "net.ipv4.conf.eth0.arp_accept=1"]);
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const name = `arp-${i}`;
    await registerEndpoints("default", name, WORKERS);
    const started = performance.now();
    await client.create(resources.services, lbService(name));
    const ip = await assignedIp(client, name, 2);
    const mac = await until(
      () => neighMac(ip),
      (m) => m !== undefined,
      10_000,
      2,
    );
    if (mac === undefined) throw new Error(`${name} (${ip}) never showed up at mypc`);
    samples.push(performance.now() - started);
  }
  return samples;
}

/** An IPv6-only Service from a pool on the segment's /64, announced over NDP. */
async function ipv6Service(client: KubeClient): Promise<string> {
  await ok(["apply", "-f", "-"], l2PoolManifest("v6", ["fc00:f853:ccd:e793::c8/125"]));
  await registerEndpoints("default", "svc6", WORKERS);
  await client.create(
    resources.services,
    lbService("svc6", { pool: "v6", spec: { ipFamilyPolicy: "SingleStack", ipFamilies: ["IPv6"] } }),
  );
  const ip = await until(
    async () =>
      (await client.get<Service & KubeObject>(resources.services, "svc6", "default")).status?.loadBalancer
        ?.ingress?.[0]?.ip ?? "",
    (v) => v !== "",
    30_000,
  );
  if (ip === "") throw new Error("svc6 got no IPv6 address");
  for (const node of NODES) await setServiceDnat(node.name, [ip]);
  return ip;
}

/** How many objects of a kind in a namespace satisfy `counted`, listed in pages of 1000. */
async function countObjects<T extends KubeObject>(
  client: KubeClient,
  resource: ResourceType,
  namespace: string,
  counted: (object: T) => boolean,
): Promise<number> {
  let count = 0;
  let cont: string | undefined;
  do {
    const page = await client.list<T>(resource, { namespace, limit: 1000, continue: cont });
    for (const object of page.items) if (counted(object)) count++;
    cont = page.metadata.continue || undefined;
  } while (cont);
  return count;
}

/** The bulk pool: a /18 beside the seed's, enough for 10k Services (autoAssign off: bench only). */
async function bulkPool(): Promise<void> {
  await ok(
    ["apply", "-f", "-"],
    JSON.stringify({
      apiVersion: "v1",
      kind: "List",
      items: [
        {
          apiVersion: "metallb.io/v1beta1",
          kind: "IPAddressPool",
          metadata: { name: "bulk", namespace: "metallb-system" },
          spec: { addresses: ["172.18.128.0/18"], autoAssign: false },
        },
        {
          apiVersion: "metallb.io/v1beta1",
          kind: "L2Advertisement",
          metadata: { name: "bulk", namespace: "metallb-system" },
          spec: { ipAddressPools: ["bulk"] },
        },
      ],
    }),
  );
}

/**
 * Grows the bulk Services to `n` (each with serving endpoints on every worker, so every one is
 * announced by some speaker), waits until they are all assigned and the speakers settled, then
 * measures one speaker's resident memory and its CPU over three 30 s windows of idling (median).
 */
async function footprint(client: KubeClient, op: RunningOperator, from: number, n: number): Promise<void> {
  const names = Array.from({ length: n - from }, (_, i) => `bulk-${from + i}`);
  const pod = op.speakers.get("myk8s-worker")!;
  const pid = await speakerPid(pod.pid);
  const syncStart = procStats(pid);
  for (let i = 0; i < names.length; i += 32) {
    await Promise.all(
      names
        .slice(i, i + 32)
        .map((name) => client.create(resources.services, lbService(name, { pool: "bulk" }))),
    );
  }
  await registerEndpointsBulk("default", names, WORKERS);
  const assignedBulk = (s: Service & KubeObject) =>
    (s.metadata.name?.startsWith("bulk-") ?? false) && (s.status?.loadBalancer?.ingress?.length ?? 0) > 0;
  const assigned = await until(
    () => countObjects(client, resources.services, "default", assignedBulk),
    (count) => count >= n,
    600_000,
    5_000,
  );
  if (assigned < n) throw new Error(`footprint: only ${assigned}/${n} bulk Services assigned`);
  // Settled: every announced Service has its ServiceL2Status (the speakers' last writes), then
  // 15 s more; only then is a speaker idle.
  const statuses = await until(
    () => countObjects(client, resources.serviceL2Statuses, "metallb-system", () => true),
    (count) => count >= n,
    600_000,
    5_000,
  );
  if (statuses < n) throw new Error(`footprint: only ${statuses}/${n} ServiceL2Statuses written`);
  // What the burst cost the speaker: CPU seconds from the first create until it settled (the
  // polling above is 5 s coarse, so this includes up to 5 s of idling: about 0.03 s).
  const syncCpuS = (procStats(pid).cpuTicks - syncStart.cpuTicks) / 100;
  await Bun.sleep(15_000);
  // Three windows of 30 s (CPU time is counted in 10 ms ticks: a 30 s window reads 0.1 % per 3
  // ticks); the median window is reported, as one window swings by about 0.2 % point here.
  const windowS = 30;
  const windows: { pct: number; perThread: (string | number)[][] }[] = [];
  for (let w = 0; w < 3; w++) {
    const before = procStats(pid);
    const threadsBefore = threadSeconds(pid);
    await Bun.sleep(windowS * 1000);
    const after = procStats(pid);
    const threadsAfter = threadSeconds(pid);
    windows.push({
      pct: Math.round(((after.cpuTicks - before.cpuTicks) / 100 / windowS) * 1000) / 10,
      // Where idle CPU goes, per thread (% of one core over the window): on stderr, for the notes.
      perThread: Object.entries(threadsAfter)
        .map(([name, seconds]) => [
          name,
          Math.round(((seconds - (threadsBefore[name] ?? 0)) / windowS) * 10000) / 100,
        ])
        .filter(([, pct]) => (pct as number) > 0),
    });
  }
  const median = [...windows].sort((a, b) => a.pct - b.pct)[1]!;
  console.error(
    `[footprint ${n}] idle CPU % per 30 s window: ${windows.map((w) => w.pct).join(", ")}; median window by thread: ${JSON.stringify(median.perThread)}`,
  );
  const after = procStats(pid);
  await printMemory(`footprint ${n}`, "myk8s-worker", pid);
  emit(BENCH, `speaker_rss_mb_${n >= 10_000 ? `${n / 1000}k` : n}`, after.rssMb, "MB", n);
  emit(BENCH, `speaker_idle_cpu_pct_${n >= 10_000 ? `${n / 1000}k` : n}`, median.pct, "%", n);
  emit(BENCH, `speaker_sync_cpu_s_${n >= 10_000 ? `${n / 1000}k` : n}`, syncCpuS, "s", n - from);
}

/**
 * A speaker restarted once the cluster holds `n` Services (as after an upgrade): it lists them all
 * and builds its state in a few large reconciles, not through the burst the footprint part's
 * speaker lived through. The difference between the two is what that history costs in memory.
 */
async function restartedFootprint(op: RunningOperator, n: number): Promise<void> {
  const node = "myk8s-worker";
  await op.speakers.get(node)?.stop("SIGTERM");
  await restartSpeaker(op, node, "warn");
  if (!(await waitReady(node, HEALTH_PORT, 120_000))) throw new Error("restarted speaker: not ready");
  // Settled: it owns its share again (revertive) and its writes are done; then idle a while.
  await Bun.sleep(60_000);
  const pid = await speakerPid(op.speakers.get(node)!.pid);
  const after = procStats(pid);
  await printMemory(`restarted ${n}`, node, pid);
  emit(BENCH, `speaker_rss_mb_${n / 1000}k_restarted`, after.rssMb, "MB", n);
}

export async function l2Bench(): Promise<void> {
  await stopCluster();
  const cluster = await ensureCluster();
  await netUp({ apiserverUnixSocket: cluster.apiserverUnixSocket });
  let op: RunningOperator | undefined;
  try {
    await registerNodes(NODES);
    await ok(["apply", "--server-side", "-f", join(ROOT, "deploy", "metalbun.yaml")]);
    await ok(["wait", "--for=condition=Established", "--timeout=60s", "-f", join(ROOT, "crds")]);
    // METALBUN_BENCH_SPEAKER_ENV='{"NAME":"value"}': extra environment for every speaker (runtime
    // and allocator options under study, e.g. BUN_JSC_* or MIMALLOC_*), as a DaemonSet edit would set it.
    op = await startOperator("warn", JSON.parse(process.env.METALBUN_BENCH_SPEAKER_ENV ?? "{}"));
    for (const n of NODES) await waitReady(n.name);
    const client = new KubeClient(await resolveConnection({ kubeconfig: cluster.kubeconfig, env: {} }));
    const ips = await seedWebServices(client);
    await Bun.sleep(1000);

    // `bun run bench l2 [part...]` runs only the named parts (failover handover rolling arp ndp
    // footprint; footprint1k: the footprint at 1k only, a quicker look; restarted: with footprint,
    // then a speaker restarted at 10k).
    const parts = process.argv.slice(3);
    const wanted = (part: string) => parts.length === 0 || parts.includes(part);
    if (wanted("failover")) stats("failover_ms", await failoverTrials(ourSpeakers(op), ips, 21));
    if (wanted("handover")) {
      const handed = await handover(op, ips[0]!);
      emit(BENCH, "handover_lost_probes", handed.lost, "probes", handed.sent);
    }
    if (wanted("rolling")) {
      const rolling = await rollingRestart(op, ips);
      emit(BENCH, "rolling_restart_lost_probes", rolling.lost, "probes", rolling.sent);
    }
    // The seed pool has 51 addresses; 3 are taken by svc1-svc3.
    if (wanted("arp")) stats("create_to_arp_ms", await createToArp(client, 40));
    if (wanted("ndp"))
      stats("failover_ndp_ms", await failoverTrials(ourSpeakers(op), [await ipv6Service(client)], 10));
    if (wanted("footprint") || parts.includes("footprint1k")) {
      await bulkPool();
      await footprint(client, op, 0, 1000);
      if (wanted("footprint")) await footprint(client, op, 1000, 10_000);
      // `bun run bench l2 footprint restarted`: then a speaker restarted at 10k.
      if (parts.includes("restarted")) await restartedFootprint(op, 10_000);
    }
    // METALBUN_BENCH_HOLD_S=<seconds>: keep the cluster, network and speakers up that long after
    // the last part (or until SIGUSR1), to inspect a speaker by hand (its PID is printed) before the
    // teardown.
    const holdS = Number(process.env.METALBUN_BENCH_HOLD_S ?? 0);
    if (holdS > 0) {
      const pod = op.speakers.get("myk8s-worker")!;
      console.error(
        `[hold] ${holdS} s or until SIGUSR1 to PID ${process.pid}; myk8s-worker's speaker is PID ${await speakerPid(pod.pid)}`,
      );
      await new Promise<void>((release) => {
        const timer = setTimeout(release, holdS * 1000);
        process.once("SIGUSR1", () => {
          clearTimeout(timer);
          release();
        });
      });
    }
  } finally {
    if (op) await stopOperator(op).catch(() => undefined);
    await netDown();
    await stopCluster();
  }
}
