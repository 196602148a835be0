/**
 * `bun run bench bgp`: BGP mode's throughput and footprint on the testbed (the lab's cluster,
 * network and metalbun "as pods", whose processes the bulk part freezes and reads; FRR in `router`
 * peering with every node over eBGP), one JSON object per line. Measured, never asserted. The
 * failover figures are measured on real nodes: `bun run bench bgp-nodes` (bgp-nodes.ts). Parts run
 * in this order (`bun run bench bgp [part...]` runs only those named):
 *
 * - create: bgp_create_to_route_ms_*: a Service (its EndpointSlice registered first) is created;
 *   time from sending the create until the router's kernel gets a route for its IP (the first
 *   path: FRR's RIB, then zebra's install, read as `ip monitor route` prints it). One create at a
 *   time, at most one every 250 ms.
 * - bulk: 10k Services of a /18 pool are created and assigned while no BGPAdvertisement covers the
 *   pool. Then GoBGP, as a stand-in node in mypc, is told those same 10k prefixes (one `gobgp mrt
 *   inject` of a dump written beforehand): bgp_10k_gobgp_installed_s runs from that command's
 *   start until FRR's summary counts the 10k from it. GoBGP leaves (FRR drops them all); then a
 *   BGPAdvertisement for the pool, selecting one node, is created: bgp_10k_prefixes_installed_s
 *   runs from sending that create until FRR counts the 10k from that node. Each covers the sender
 *   learning of the 10k (gRPC stream / apiserver watch and reconcile), building and sending the
 *   UPDATEs, and FRR taking them in; three rounds each (the advertisement deleted and the 10k
 *   withdrawn between), medians, bgp_10k_ratio_to_gobgp = ours / GoBGP's. During both, the
 *   processes off the sender's path (controller, other speakers) are frozen: the testbed's four
 *   nodes share two cores. Then the advertisement is deleted and created again with everything
 *   running: bgp_10k_prefixes_installed_all_speakers_s.
 * - footprint: with the 10k announced, a second BGPPeer (GoBGP listening in mypc) for that node;
 *   once GoBGP holds the 10k too and the speaker has settled, its RSS (speaker_rss_mb_10k_bgp)
 *   and its idle CPU (speaker_bgp_idle_cpu_pct: the median of three 30 s windows). stderr shows
 *   its /debug/memory with the 10k to one peer, just after the second peer got them (the
 *   ServiceBGPStatus rewrite then begins), and settled.
 * - bfd-burst (only when named, and not with bulk or footprint): a 10k-Service burst with BFD at
 *   100 ms x 3 to every speaker, counting BFD down events (bgp-bfd-burst.ts).
 *
 * METALBUN_BENCH_HOLD_S=<s>: everything stays up that long after the last part (or until SIGUSR1
 * to the bench), the bulk node's speaker PID printed, for a closer look (as bench l2).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Service } from "../../operator/src/domain/api/core.ts";
import { KubeClient } from "../../operator/src/kube/client.ts";
import { resolveConnection } from "../../operator/src/kube/config.ts";
import { resources } from "../../operator/src/kube/resource.ts";
import type { KubeObject } from "../../operator/src/kube/types.ts";
import { aBgpAdvertisement, aBgpPeer, apply, NAMESPACE, NODE_ASN, ROUTER_ASN } from "../bgp/support.ts";
import { ensureCluster } from "../cluster/cluster.ts";
import { registerEndpoints } from "../cluster/endpoints.ts";
import type { RunningOperator } from "../lab/operator.ts";
import { seededTestbedDown, seededTestbedUp } from "../lab/seeded-testbed.ts";
import { addServiceDnat } from "../net/service-dnat.ts";
import { CLIENT, NODES, nodeNamed, ROUTER, WORKERS } from "../net/topology.ts";
import { type FrrHandle, startFrr } from "../peers/frr.ts";
import { type GobgpHandle, startGobgp } from "../peers/gobgp.ts";
import { mrtDump } from "../peers/mrt.ts";
import { addClientPoolRoutes, removeClientPoolRoutes } from "../peers/routing.ts";
import { waitFor } from "../peers/wait.ts";
import { bfdBurst } from "./bgp-bfd-burst.ts";
import { BULK_COUNT, bulkKernelRoutes, bulkServices, ingressIp } from "./bgp-bulk.ts";
import { frrPeerCounts } from "./bgp-router.ts";
import { allWorkerHops, BENCH_ROUTER, DEFAULT_HOLD_MS, SHORT_HOLD_MS, sessionsUp } from "./bgp-sessions.ts";
import { lbService } from "./l2-services.ts";
import { threadSeconds } from "./phase-cost.ts";
import { emit, emitPercentiles, percentile } from "./report.ts";
import { RouteMonitor } from "./route-monitor.ts";
import { ServiceIpWatch } from "./service-ip-watch.ts";
import { componentPid, printMemory, procStats, speakerPid } from "./speaker-process.ts";

const BENCH = "bgp";
/** The node that announces the 10k (one sender, as GoBGP is one). */
const BULK_NODE = nodeNamed("myk8s-worker");
const BULK_ROUNDS = 3;
const SECOND_PEER_ASN = 64501;
const SEED_POOL_PREFIX = "172.18.255.";

/** Every node's DNAT sends the VIP's port 80 to its own web server, as kube-proxy would. */
async function dnatEverywhere(vip: string): Promise<void> {
  for (const node of NODES) await addServiceDnat(node.name, vip);
}

function stats(name: string, samples: number[], unit: string): void {
  emitPercentiles(BENCH, name, samples, unit, 3);
}

async function serviceIp(client: KubeClient, name: string): Promise<string> {
  return waitFor(
    async () =>
      ingressIp(await client.get<Service & KubeObject>(resources.services, name, "default")) || undefined,
    { what: `an IP for ${name}`, timeoutMs: 30_000, intervalMs: 20 },
  );
}

/**
 * The router's BGPPeer, with holdTime 3s or the default (90 s). A changed peer is a new session
 * (Cease 6/6, then a fresh OPEN); one that takes more than 10 s to come back is reported on
 * stderr with the tail of its speaker's log, as the reconnect backoff may reach 120 s.
 */
async function useHold(op: RunningOperator, holdMs: number): Promise<void> {
  const started = performance.now();
  await apply(aBgpPeer("router", { holdTime: holdMs === SHORT_HOLD_MS ? "3s" : undefined }));
  for (const node of NODES) {
    await sessionsUp([node], holdMs, 180_000);
    const s = (performance.now() - started) / 1000;
    if (s > 10) {
      const log = op.speakers.get(node.name)?.stderr().trim().split("\n").slice(-20).join("\n");
      console.error(
        `[hold] ${node.name} Established with hold ${holdMs} ms only ${s.toFixed(1)} s after the BGPPeer change; its speaker's log ends:\n${log}`,
      );
    }
  }
}

async function createToRoute(client: KubeClient, monitor: RouteMonitor, n: number): Promise<number[]> {
  const samples: number[] = [];
  const toIp: number[] = [];
  const watch = await ServiceIpWatch.open(client, "default");
  for (let i = 0; i < n; i++) {
    const name = `rt-${i}`;
    await registerEndpoints("default", name, WORKERS);
    const before = monitor.known();
    const started = performance.now();
    await client.create(resources.services, lbService(name));
    const prefix = await monitor.next((p) => !before.has(p) && p.startsWith(SEED_POOL_PREFIX), 10_000);
    if (prefix === undefined) throw new Error(`${name}: no new route at the router within 10 s`);
    const at = monitor.addedAt(prefix)!;
    const ip = await serviceIp(client, name);
    if (ip !== prefix) throw new Error(`${name} has ${ip}, but the router's new route is ${prefix}`);
    samples.push(at - started);
    const seen = watch.seenAt(name);
    if (seen !== undefined) toIp.push(seen - started);
    await Bun.sleep(Math.max(0, 250 - (performance.now() - started)));
  }
  await watch.stop();
  const median = (xs: number[]) =>
    percentile(
      [...xs].sort((a, b) => a - b),
      50,
    );
  console.error(
    `[create] median ms: create to IP seen by a watch ${median(toIp).toFixed(1)} (n ${toIp.length}), create to route ${median(samples).toFixed(1)}`,
  );
  return samples;
}

/** Polls FRR's summary every 20 ms until `from` has sent at least `count` prefixes; the time then. */
async function frrCounts(from: string, count: number, timeoutMs = 300_000): Promise<number> {
  return waitFor(
    async () =>
      ((await frrPeerCounts(ROUTER.name)).get(from)?.prefixes ?? 0) >= count ? performance.now() : undefined,
    {
      what: `${count} prefixes from ${from} in FRR`,
      timeoutMs,
      intervalMs: 20,
      describe: async () => JSON.stringify([...(await frrPeerCounts(ROUTER.name))]),
    },
  );
}

async function frrAndGobgpState(gobgp: GobgpHandle): Promise<string> {
  const counts = JSON.stringify([...(await frrPeerCounts(ROUTER.name))]);
  const neighbors = await gobgp.cli("neighbor").catch((e) => String(e));
  return `FRR: ${counts}; GoBGP: ${neighbors.trim()}`;
}

/** GoBGP in mypc as a stand-in node (like a node's speaker: eBGP from the segment), peered with FRR. */
async function standIn(): Promise<GobgpHandle> {
  const gobgp = await startGobgp(CLIENT.name, {
    asn: NODE_ASN,
    routerId: CLIENT.ipv4,
    listenPort: -1,
    neighbors: [{ address: ROUTER.ipv4, peerAs: ROUTER_ASN, connectRetryS: 1 }],
  });
  await waitFor(
    async () =>
      (await frrPeerCounts(ROUTER.name)).get(CLIENT.ipv4)?.state === "Established" ? true : undefined,
    { what: "GoBGP Established at FRR", timeoutMs: 60_000, describe: () => frrAndGobgpState(gobgp) },
  );
  return gobgp;
}

/** The stand-in told the 10k prefixes at once; seconds until FRR has them. Then it leaves. */
async function gobgpTenK(gobgp: GobgpHandle, ips: readonly string[]): Promise<number> {
  try {
    await waitFor(
      async () =>
        (await frrPeerCounts(ROUTER.name)).get(CLIENT.ipv4)?.state === "Established" ? true : undefined,
      { what: "GoBGP still Established at FRR", timeoutMs: 60_000, describe: () => frrAndGobgpState(gobgp) },
    );
    mkdirSync(gobgp.dir, { recursive: true });
    const dump = join(gobgp.dir, "bulk.mrt");
    writeFileSync(dump, mrtDump(ips.map((ip) => `${ip}/32`)));
    const started = performance.now();
    const told = gobgp.cli("mrt", "inject", "global", dump).then(() => performance.now());
    const heldAt = await frrCounts(CLIENT.ipv4, ips.length);
    console.error(
      `[bulk] gobgp: inject returned after ${((await told) - started).toFixed(0)} ms; FRR held the ${ips.length} after ${(heldAt - started).toFixed(0)} ms`,
    );
    return (heldAt - started) / 1000;
  } finally {
    await gobgp.stop();
    // FRR drops GoBGP's routes and zebra deletes them from the kernel: wait, so none of that work
    // overlaps the next measurement.
    await waitFor(async () => ((await bulkKernelRoutes()) === 0 ? true : undefined), {
      what: "GoBGP's routes gone from the router's kernel",
      timeoutMs: 120_000,
      intervalMs: 250,
    });
    await Bun.sleep(2000);
  }
}

/**
 * The testbed's four nodes share two cores; a real node has its own. While one sender is timed,
 * the processes that are not on its path (the controller, the other speakers) are frozen
 * (SIGSTOP; for a few seconds, far below the 90 s hold), so they do not take its CPU.
 */
async function bystanders(op: RunningOperator, sender?: string): Promise<number[]> {
  const pids = [await componentPid(op.controller.pid, "controller")];
  for (const [node, pod] of op.speakers) if (node !== sender) pids.push(await speakerPid(pod.pid));
  return pids;
}

async function frozen<T>(pids: readonly number[], during: () => Promise<T>): Promise<T> {
  for (const pid of pids) process.kill(pid, "SIGSTOP");
  try {
    return await during();
  } finally {
    for (const pid of pids) process.kill(pid, "SIGCONT");
  }
}

const BULK_ADVERTISEMENT = aBgpAdvertisement("bulk", {
  ipAddressPools: ["bulk"],
  nodeSelectors: [{ matchLabels: { "kubernetes.io/hostname": BULK_NODE.name } }],
}) as KubeObject;

/**
 * The bulk pool's BGPAdvertisement, for one node: every speaker learns of it, one announces.
 * Seconds from sending its create until FRR counts the 10k from that node; the CPU each process
 * spent meanwhile on stderr.
 */
async function oursTenK(client: KubeClient, op: RunningOperator, label: string): Promise<number> {
  const base = (await frrPeerCounts(ROUTER.name)).get(BULK_NODE.ipv4)?.prefixes ?? 0;
  const watched = new Map<string, number>([
    ["controller", await componentPid(op.controller.pid, "controller")],
  ]);
  for (const [node, pod] of op.speakers) watched.set(node, await speakerPid(pod.pid));
  const cpuBefore = new Map([...watched].map(([name, pid]) => [name, procStats(pid).cpuTicks]));
  const started = performance.now();
  await client.create(resources.bgpAdvertisements, BULK_ADVERTISEMENT);
  const heldAt = await frrCounts(BULK_NODE.ipv4, base + BULK_COUNT);
  const cpu = [...watched].map(
    ([name, pid]) => `${name} ${(procStats(pid).cpuTicks - cpuBefore.get(name)!) / 100}`,
  );
  const kernelAt = await waitFor(
    async () => ((await bulkKernelRoutes()) >= BULK_COUNT ? performance.now() : undefined),
    { what: "10k kernel routes at the router", timeoutMs: 120_000, intervalMs: 100 },
  );
  console.error(
    `[bulk] ours (${label}): FRR held them after ${(heldAt - started).toFixed(0)} ms (CPU s meanwhile: ${cpu.join(", ")}); the router's kernel had them after ${(kernelAt - started).toFixed(0)} ms`,
  );
  return (heldAt - started) / 1000;
}

/** Deletes the bulk BGPAdvertisement and waits until the router has forgotten its 10k. */
async function withdrawBulk(client: KubeClient): Promise<void> {
  await client.delete(resources.bgpAdvertisements, "bulk", NAMESPACE);
  await waitFor(async () => ((await bulkKernelRoutes()) === 0 ? true : undefined), {
    what: "the 10k withdrawn from the router's kernel",
    timeoutMs: 120_000,
    intervalMs: 250,
  });
  await Bun.sleep(3000);
}

/**
 * A second peer for the bulk node (GoBGP listening in mypc); once it holds the 10k too, that
 * speaker's RSS and its idle CPU over three 30 s windows (the median one), as bench l2's footprint.
 */
async function twoPeerFootprint(op: RunningOperator): Promise<GobgpHandle> {
  const pid = await speakerPid(op.speakers.get(BULK_NODE.name)!.pid);
  // The 10k to one peer, settled: what the second peer's status storm adds is measured against it.
  await Bun.sleep(15_000);
  await printMemory("footprint 10k bgp, one peer", BULK_NODE.name, pid);
  const gobgp = await startGobgp(CLIENT.name, {
    asn: SECOND_PEER_ASN,
    routerId: CLIENT.ipv4,
    dynamicNeighbors: [{ peerGroup: "nodes", prefixes: ["172.18.0.0/24"], peerAs: NODE_ASN, passive: true }],
  });
  const started = performance.now();
  await apply(
    aBgpPeer("second", {
      peerAddress: CLIENT.ipv4,
      peerASN: SECOND_PEER_ASN,
      holdTime: undefined,
      nodeSelectors: [{ matchLabels: { "kubernetes.io/hostname": BULK_NODE.name } }],
    }),
  );
  await waitFor(
    async () =>
      ((await gobgp.neighbors()).get(BULK_NODE.ipv4)?.received["1:1"] ?? 0) >= BULK_COUNT ? true : undefined,
    {
      what: "the 10k at the second peer",
      timeoutMs: 300_000,
      intervalMs: 250,
      describe: async () => JSON.stringify([...(await gobgp.neighbors())]),
    },
  );
  console.error(
    `[footprint] the second peer held them ${((performance.now() - started) / 1000).toFixed(1)} s after its BGPPeer was applied`,
  );
  await printMemory("footprint 10k bgp, second peer just served", BULK_NODE.name, pid);
  // A new peer changes every Service's ServiceBGPStatus on this node (its peers list): 10k writes
  // at the apiserver's pace. Settled: a 5 s window under 5 % CPU; then 15 s more, as bench l2.
  const settling = performance.now();
  await waitFor(
    async () => {
      const before = procStats(pid).cpuTicks;
      await Bun.sleep(5_000);
      return procStats(pid).cpuTicks - before < 25 ? true : undefined;
    },
    { what: "the speaker settled after the second peer", timeoutMs: 600_000, intervalMs: 0 },
  );
  console.error(
    `[footprint] the speaker settled (5 s under 5 % CPU) ${((performance.now() - settling) / 1000).toFixed(1)} s after the second peer held the 10k`,
  );
  await Bun.sleep(15_000);
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
    `[footprint] idle CPU % per 30 s window: ${windows.map((w) => w.pct).join(", ")}; median window by thread: ${JSON.stringify(median.perThread)}`,
  );
  await printMemory("footprint 10k bgp", BULK_NODE.name, pid);
  emit(BENCH, "speaker_rss_mb_10k_bgp", procStats(pid).rssMb, "MB", BULK_COUNT);
  emit(BENCH, "speaker_bgp_idle_cpu_pct", median.pct, "%", BULK_COUNT);
  return gobgp;
}

export async function bgpBench(): Promise<void> {
  const parts = process.argv.slice(3);
  const wanted = (part: string) => parts.length === 0 || parts.includes(part);
  if (parts.includes("bfd-burst") && (parts.includes("bulk") || parts.includes("footprint"))) {
    throw new Error(
      "bench bgp: bfd-burst makes and deletes its own 10k Services; run it without bulk or footprint",
    );
  }
  let op: RunningOperator | undefined;
  let frr: FrrHandle | undefined;
  let monitor: RouteMonitor | undefined;
  let secondPeer: GobgpHandle | undefined;
  try {
    // METALBUN_BENCH_SPEAKER_ENV='{"NAME":"value"}': extra environment for every speaker, as in bench l2.
    // No L2Advertisement ever: the speakers are those of a BGP-only cluster.
    op = await seededTestbedUp("warn", JSON.parse(process.env.METALBUN_BENCH_SPEAKER_ENV ?? "{}"), {
      l2Advertisement: false,
    });
    frr = await startFrr(ROUTER.name, BENCH_ROUTER);
    await addClientPoolRoutes();
    await apply(aBgpPeer("router", {}), aBgpAdvertisement("bgp-adv"));
    await sessionsUp(NODES, SHORT_HOLD_MS);
    const cluster = await ensureCluster();
    const client = new KubeClient(await resolveConnection({ kubeconfig: cluster.kubeconfig, env: {} }));

    // One VIP every worker announces: a check that the sessions carry routes before the parts.
    await registerEndpoints("default", "probe", WORKERS);
    await client.create(resources.services, lbService("probe"));
    const vip = await serviceIp(client, "probe");
    await dnatEverywhere(vip);
    await allWorkerHops(`${vip}/32`);

    if (wanted("create")) {
      monitor = new RouteMonitor(ROUTER.name);
      await Bun.sleep(200);
      stats("bgp_create_to_route_ms", await createToRoute(client, monitor, 40), "ms");
      await monitor.stop();
      monitor = undefined;
    }
    if (wanted("bulk") || wanted("footprint")) {
      // The 10k are announced with the default hold (keepalives every 30 s), as MetalLB's users run.
      await useHold(op, DEFAULT_HOLD_MS);
      // The stand-in peers first: a failure to peer shows before the 10k Services are made.
      const gobgp = wanted("bulk") ? await standIn() : undefined;
      const ips = await bulkServices(client);
      if (gobgp) {
        // Three rounds, alternating; the medians are compared (one round's figures swing by a
        // third here). Ours in the first round includes the first 10k through cold code paths.
        const running = op;
        const gobgpS: number[] = [];
        const oursS: number[] = [];
        for (let round = 0; round < BULK_ROUNDS; round++) {
          const sender = round === 0 ? gobgp : await standIn();
          gobgpS.push(await frozen(await bystanders(running), () => gobgpTenK(sender, ips)));
          oursS.push(
            await frozen(await bystanders(running, BULK_NODE.name), () => oursTenK(client, running, "alone")),
          );
          await withdrawBulk(client);
        }
        // Then as the testbed runs: every speaker and the controller react on the same two cores.
        const sharedS = await oursTenK(client, op, "every speaker running");
        const median = (xs: number[]) =>
          percentile(
            [...xs].sort((a, b) => a - b),
            50,
          );
        const round = (x: number) => Math.round(x * 1000) / 1000;
        console.error(
          `[bulk] s per round: GoBGP ${gobgpS.map(round).join(", ")}; ours ${oursS.map(round).join(", ")}`,
        );
        emit(BENCH, "bgp_10k_gobgp_installed_s", round(median(gobgpS)), "s", gobgpS.length);
        emit(BENCH, "bgp_10k_prefixes_installed_s", round(median(oursS)), "s", oursS.length);
        emit(
          BENCH,
          "bgp_10k_ratio_to_gobgp",
          Math.round((median(oursS) / median(gobgpS)) * 100) / 100,
          "ratio",
          oursS.length,
        );
        emit(BENCH, "bgp_10k_prefixes_installed_all_speakers_s", round(sharedS), "s", 1);
      } else {
        await oursTenK(client, op, "every speaker running");
      }
      if (wanted("footprint")) secondPeer = await twoPeerFootprint(op);
    }
    // Last: it replaces the router with one running BFD, and creates and deletes the 10k itself.
    if (parts.includes("bfd-burst")) frr = await bfdBurst(client);
    const holdS = Number(process.env.METALBUN_BENCH_HOLD_S ?? 0);
    if (holdS > 0) {
      console.error(
        `[hold] ${holdS} s or until SIGUSR1 to PID ${process.pid}; ${BULK_NODE.name}'s speaker is PID ${await speakerPid(op.speakers.get(BULK_NODE.name)!.pid)}`,
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
    await monitor?.stop().catch(() => undefined);
    await secondPeer?.stop().catch(() => undefined);
    await removeClientPoolRoutes().catch(() => undefined);
    await frr?.stop().catch(() => undefined);
    await seededTestbedDown(op);
  }
}
