/**
 * `bun run bench bgp bfd-burst`: does a 10k-Service burst on the speakers' main threads make a BFD
 * session go down that should not? FRR's bfdd peers with every speaker at 100 ms x 3 (a 300 ms
 * detection time, the harshest profile the README reports), the BGP hold time stays 90 s, and then
 * every speaker's main thread gets the 10k: the Services and their EndpointSlices created, a
 * BGPAdvertisement of their pool for every worker (each worker announces all 10k), its deletion
 * (all withdrawn), and the 10k deleted. Meanwhile each speaker's event-loop lag is sampled from its
 * /metrics (prom-client's nodejs_eventloop_lag_max_seconds, reset by every scrape), to show the
 * main thread was held up for longer than BFD's detection time while BFD, in its Worker, kept time.
 *
 * JSON lines: bgp_bfd_burst_router_down_events (bfdd's session-down count, all peers),
 * bgp_bfd_burst_speaker_down_events (the speakers' metallb_bfd_session_down_events),
 * bgp_bfd_burst_bgp_drops (FRR's connectionsDropped), all with target 0;
 * bgp_bfd_burst_main_loop_lag_max_ms (the worst main-thread lag seen) and bgp_bfd_burst_s.
 */
import type { KubeClient } from "../../operator/src/kube/client.ts";
import { resources } from "../../operator/src/kube/resource.ts";
import type { KubeObject } from "../../operator/src/kube/types.ts";
import { aBfdProfile, aBgpAdvertisement, aBgpPeer, apply, NAMESPACE } from "../bgp/support.ts";
import { execIn } from "../net/exec.ts";
import { NODES, ROUTER, WORKERS } from "../net/topology.ts";
import { type FrrHandle, startFrr } from "../peers/frr.ts";
import { frrBfdCounters, frrBgpDrops } from "../peers/frr-query.ts";
import { waitFor } from "../peers/wait.ts";
import { BULK_COUNT, bulkKernelRoutes, bulkServices } from "./bgp-bulk.ts";
import { frrPeerCounts } from "./bgp-router.ts";
import { BENCH_ROUTER, DEFAULT_HOLD_MS, everyBfdUpAtFrr, sessionsUp } from "./bgp-sessions.ts";
import { emit } from "./report.ts";

const BENCH = "bgp";
const BFD_MS = 100;
const SPEAKER_METRICS_PORT = 9120;

/** A speaker's /metrics, read from inside its node; "" while it does not answer. */
async function speakerMetrics(node: (typeof NODES)[number]): Promise<string> {
  const r = await execIn(node.name, [
    "curl",
    "-s",
    "-m",
    "5",
    `http://${node.ipv4}:${SPEAKER_METRICS_PORT}/metrics`,
  ]);
  return r.exitCode === 0 ? r.stdout : "";
}

/** The sum of a metric's samples in a Prometheus text exposition (0 when absent). */
export function metricSum(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== " " && rest[0] !== "{") continue;
    sum += Number(line.slice(line.lastIndexOf(" ") + 1)) || 0;
  }
  return sum;
}

/** Every node's speaker down events, summed. */
async function speakerDownEvents(): Promise<number> {
  let sum = 0;
  for (const node of NODES) sum += metricSum(await speakerMetrics(node), "metallb_bfd_session_down_events");
  return sum;
}

/** Samples every speaker's worst event-loop lag (ms) every `everyMs` until stopped; the maximum seen. */
function lagSampler(everyMs: number): { stop(): Promise<number> } {
  let running = true;
  let worst = 0;
  const loop = (async () => {
    while (running) {
      await Promise.all(
        NODES.map(async (node) => {
          const lag = metricSum(await speakerMetrics(node), "nodejs_eventloop_lag_max_seconds") * 1000;
          worst = Math.max(worst, lag);
        }),
      );
      await Bun.sleep(everyMs);
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return Math.round(worst);
    },
  };
}

const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
const bfdDownAtRouter = async () =>
  sum(new Map([...(await frrBfdCounters(ROUTER.name))].map(([p, c]) => [p, c.sessionDown])));

/**
 * Replaces the bench's router with one whose peer-group runs BFD, peers every speaker with a
 * 100 ms x 3 BFDProfile, and runs the burst. The returned handle is the router now running.
 */
export async function bfdBurst(client: KubeClient): Promise<FrrHandle> {
  const frr = await startFrr(
    ROUTER.name,
    { ...BENCH_ROUTER, neighbors: BENCH_ROUTER.neighbors.map((n) => ({ ...n, bfd: true })) },
    { bfd: true },
  );
  await apply(aBfdProfile("burst", BFD_MS), aBgpPeer("router", { holdTime: undefined, bfdProfile: "burst" }));
  await sessionsUp(NODES, DEFAULT_HOLD_MS, 180_000);
  await everyBfdUpAtFrr(60_000);
  // Settle, so that the counters below start from sessions that have been up a while.
  await Bun.sleep(3_000);
  const routerDownBefore = await bfdDownAtRouter();
  const speakerDownBefore = await speakerDownEvents();
  const dropsBefore = sum(await frrBgpDrops(ROUTER.name));

  const sampler = lagSampler(250);
  const started = performance.now();
  await bulkServices(client);
  const advertisement = aBgpAdvertisement("bulk", { ipAddressPools: ["bulk"] }) as KubeObject;
  await client.create(resources.bgpAdvertisements, advertisement);
  await waitFor(
    async () => {
      const counts = await frrPeerCounts(ROUTER.name);
      return WORKERS.every((w) => (counts.get(w.ipv4)?.prefixes ?? 0) >= BULK_COUNT) ? true : undefined;
    },
    { what: `${BULK_COUNT} prefixes from every worker in FRR`, timeoutMs: 600_000, intervalMs: 500 },
  );
  await client.delete(resources.bgpAdvertisements, "bulk", NAMESPACE);
  await waitFor(async () => ((await bulkKernelRoutes()) === 0 ? true : undefined), {
    what: "the 10k withdrawn from the router's kernel",
    timeoutMs: 300_000,
    intervalMs: 500,
  });
  const names = Array.from({ length: BULK_COUNT }, (_, i) => `bulk-${i}`);
  for (let i = 0; i < names.length; i += 32) {
    await Promise.all(
      names.slice(i, i + 32).map((name) => client.delete(resources.services, name, "default")),
    );
  }
  const burstS = (performance.now() - started) / 1000;
  // The speakers take in the deletes after the last answer: give them their turn under BFD too.
  await Bun.sleep(5_000);
  const lagMaxMs = await sampler.stop();

  const routerDown = (await bfdDownAtRouter()) - routerDownBefore;
  const speakerDown = (await speakerDownEvents()) - speakerDownBefore;
  const drops = sum(await frrBgpDrops(ROUTER.name)) - dropsBefore;
  console.error(
    `[bfd-burst] ${BULK_COUNT} Services created, announced by ${WORKERS.length} workers, withdrawn and deleted in ${burstS.toFixed(1)} s; BFD ${BFD_MS} ms x 3 to ${NODES.length} speakers: router saw ${routerDown} down, speakers ${speakerDown}, BGP drops ${drops}; worst main-loop lag ${lagMaxMs} ms`,
  );
  emit(BENCH, "bgp_bfd_burst_router_down_events", routerDown, "count", NODES.length);
  emit(BENCH, "bgp_bfd_burst_speaker_down_events", speakerDown, "count", NODES.length);
  emit(BENCH, "bgp_bfd_burst_bgp_drops", drops, "count", NODES.length);
  emit(BENCH, "bgp_bfd_burst_main_loop_lag_max_ms", lagMaxMs, "ms", NODES.length);
  emit(BENCH, "bgp_bfd_burst_s", Math.round(burstS * 10) / 10, "s", BULK_COUNT);
  return frr;
}
