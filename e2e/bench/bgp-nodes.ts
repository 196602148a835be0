/**
 * `bun run bench bgp-nodes [hold] [kill] [rolling] [hold90]`: BGP mode's failover figures on real
 * nodes (e2e/nodes): the bundle applied with kubectl, the speakers the DaemonSet's pods, FRR in
 * `router` peering with every node over eBGP (BGPPeer holdTime 3s), kube-proxy carrying the seed's
 * svc1 to the webpod pods. One JSON object per line; measured, never asserted.
 *
 * - hold: bgp_hold_failover_3s_s_*: a speaker's process is frozen (SIGSTOP: no FIN, no KEEPALIVE)
 *   at a random point of its keepalive period; time until its next hop leaves the router's kernel
 *   route for svc1. Between 2 and 3 s plus the router's reaction.
 * - kill: bgp_node_kill_failover_s_*: a worker is killed hard (link cut, every process SIGKILLed:
 *   the seed's `docker stop --signal 9`); time until its next hop leaves the route, and
 *   bgp_node_kill_curl_ok_s_* until mypc's request through the router is answered by a webpod.
 *   The node starts again and peers before the next trial.
 * - rolling: bgp_rolling_restart_lost_probes: `kubectl rollout restart daemonset/speaker` while
 *   mypc sends a fresh HTTP request every 10 ms through the router to svc1.
 * - bfd: bgp_bfd_failover_ms_*: the kill part with BFD (FRR's bfdd and the speakers' BFDProfile both
 *   300 ms x 3, then 100 ms x 3: bgp_bfd100_failover_ms_*), BGP hold 30 s so that only BFD can be
 *   quick; 20 trials each (METALBUN_BENCH_BFD_TRIALS). Then each speaker's BFD thread's idle CPU
 *   over 30 s (bgp_bfd_cpu_pct, bgp_bfd100_cpu_pct: one peer per speaker here).
 * - gr: bgp_gr_rolling_restart_lost_probes: the rolling part with enableGracefulRestart on the
 *   BGPPeer (the sessions close quietly, FRR keeps the routes as stale), and the fewest next hops
 *   the router's kernel route had meanwhile (bgp_gr_rolling_min_next_hops; 3 = none ever left).
 * - hold90: bgp_hold_failover_default_s: the kill part once with the BGPPeer's default hold (90 s).
 *   A node killed, not a process frozen: the kubelet's liveness probe restarts a frozen speaker
 *   after about 30 s, and its kernel then closes the session, well before a 90 s hold expires.
 */
import { join } from "node:path";
import {
  aBfdProfile,
  aBgpAdvertisement,
  aBgpPeer,
  apply,
  bgpNodesUp,
  kernelNextHops,
  ok,
} from "../bgp/support.ts";
import { execIn } from "../net/exec.ts";
import { netDownOnSignals } from "../net/testbed.ts";
import { CLIENT, type Member, NODES, nodeNamed, ROUTER, WORKERS } from "../net/topology.ts";
import { killNode, realClusterDown, restartNode } from "../nodes/real-cluster.ts";
import { runningSpeaker, signalSpeaker } from "../nodes/speaker-pods.ts";
import { type FrrHandle, startFrr } from "../peers/frr.ts";
import type { FrrRouterSpec } from "../peers/frr-config.ts";
import { frrBfdPeers } from "../peers/frr-query.ts";
import { addClientPoolRoutes, removeClientPoolRoutes } from "../peers/routing.ts";
import { waitFor } from "../peers/wait.ts";
import {
  allWorkerHops,
  BENCH_ROUTER,
  DEFAULT_HOLD_MS,
  nextHopGone,
  SHORT_HOLD_MS,
  sessionsUp,
} from "./bgp-sessions.ts";
import { threadSeconds } from "./phase-cost.ts";
import { probeWhile } from "./probe-while.ts";
import { emit, emitPercentiles, percentile } from "./report.ts";

const BENCH = "bgp-nodes";
const SEED = join(import.meta.dir, "..", "lab", "seed");
const TRIALS = Number(process.env.METALBUN_BENCH_TRIALS ?? 11);
/** With BFD on, a BGP hold far above BFD's detection time: only BFD can make a failover quick. */
const BFD_HOLD_MS = 30_000;

function stats(name: string, samples: number[]): void {
  emitPercentiles(BENCH, name, samples, "s", 3);
}

/**
 * Freezes `victim`'s speaker and times until its next hop leaves the router's kernel route for
 * `prefix`; thaws it and waits until it is back before the next trial.
 */
async function holdFailover(
  victim: Member,
  prefix: string,
  trials: number,
  holdMs: number,
): Promise<number[]> {
  const samples: number[] = [];
  for (let t = 0; t < trials; t++) {
    await allWorkerHops(prefix);
    // A crash comes at any point of the keepalive period (hold / 3): the last KEEPALIVE went out
    // up to that long before it, so the router notices after hold minus that. Freezing right
    // after the session came up would always measure the full hold.
    await Bun.sleep((holdMs / 3) * (1 + Math.random()));
    const speaker = await runningSpeaker(victim.name);
    signalSpeaker(speaker, "SIGSTOP");
    const frozenAt = performance.now();
    try {
      const goneAt = await nextHopGone(victim, prefix, holdMs * 2 + 10_000, 10);
      samples.push((goneAt - frozenAt) / 1000);
    } finally {
      signalSpeaker(speaker, "SIGCONT");
    }
    await sessionsUp([victim], holdMs);
  }
  await allWorkerHops(prefix);
  console.error(
    `[hold ${holdMs / 1000} s] next hop gone after ${samples.map((x) => x.toFixed(3)).join(", ")} s`,
  );
  return samples;
}

async function webpodAnswers(vip: string): Promise<boolean> {
  const r = await execIn(CLIENT.name, ["curl", "-s", "-m", "1", `http://${vip}/`]);
  return /^Hostname: webpod-/m.test(r.stdout);
}

/**
 * Kills a worker hard, in turn, and times until the router drops its next hop and until a
 * request from mypc is answered again. Until the node controller marks the node NotReady,
 * kube-proxy on the live nodes still sends a share of connections to the dead node's webpod, so
 * "answered" is the first success of consecutive tries, as a client retrying would see it.
 */
async function nodeKillFailover(prefix: string, vip: string, trials: number, holdMs: number, bfdMs?: number) {
  const gone: number[] = [];
  const answered: number[] = [];
  const victims = NODES.filter((n) => n.name !== "myk8s-control-plane");
  for (let t = 0; t < trials; t++) {
    const victim = victims[t % victims.length]!;
    await allWorkerHops(prefix);
    // A failure comes at any point of the keepalive (or BFD transmit) period.
    await Bun.sleep(bfdMs === undefined ? (holdMs / 3) * (1 + Math.random()) : bfdMs * (1 + Math.random()));
    const killedAt = performance.now();
    await killNode(victim);
    // 10 ms against a 3 s hold or BFD; 50 ms against 90 s is as precise, relatively, for fewer `ip` runs.
    const pollMs = bfdMs === undefined && holdMs > SHORT_HOLD_MS ? 50 : 10;
    const goneAt = await nextHopGone(victim, prefix, holdMs * 2 + 10_000, pollMs);
    const okAt = await waitFor(async () => ((await webpodAnswers(vip)) ? performance.now() : undefined), {
      what: `a webpod answering ${vip}`,
      timeoutMs: 30_000,
      intervalMs: 10,
    });
    gone.push((goneAt - killedAt) / 1000);
    answered.push((okAt - killedAt) / 1000);
    console.error(
      `[kill] trial ${t}: ${victim.name}'s next hop gone after ${gone.at(-1)!.toFixed(3)} s, answered after ${answered.at(-1)!.toFixed(3)} s`,
    );
    await restartNode(victim);
    await ok(["rollout", "status", "daemonset/speaker", "-n", "metallb-system", "--timeout=180s"]);
    await sessionsUp([victim], holdMs);
  }
  await allWorkerHops(prefix);
  return { gone, answered };
}

/** FRR with bfdd, every node's session registered with a profile of `ms` x 3. */
function bfdRouter(ms: number): FrrRouterSpec {
  const [nodes] = BENCH_ROUTER.neighbors;
  return {
    ...BENCH_ROUTER,
    bfdProfiles: [{ name: "bench", receiveIntervalMs: ms, transmitIntervalMs: ms, detectMultiplier: 3 }],
    neighbors: [{ ...nodes!, bfd: true, bfdProfile: "bench" }],
  };
}

/** CPU of every speaker's "bfd" thread over `seconds`, as a percentage of one core: the median. */
async function bfdThreadCpu(seconds: number): Promise<number> {
  const pids = await Promise.all(WORKERS.map(async (w) => (await runningSpeaker(w.name)).pid));
  const before = pids.map((pid) => threadSeconds(pid).bfd ?? 0);
  await Bun.sleep(seconds * 1000);
  const pct = pids.map((pid, i) => (((threadSeconds(pid).bfd ?? 0) - before[i]!) / seconds) * 100);
  return percentile(
    pct.sort((a, b) => a - b),
    50,
  );
}

async function bfdFailover(
  frr: FrrHandle,
  prefix: string,
  vip: string,
  ms: number,
  name: string,
): Promise<FrrHandle> {
  await frr.stop();
  const router = await startFrr(ROUTER.name, bfdRouter(ms), { bfd: true });
  await apply(aBfdProfile("bench", ms), aBgpPeer("router", { holdTime: "30s", bfdProfile: "bench" }));
  await sessionsUp(NODES, BFD_HOLD_MS, 120_000);
  // The BGP sessions come up first; a kill before BFD is Up would measure the 30 s hold.
  await waitFor(
    async () => {
      const peers = await frrBfdPeers(ROUTER.name);
      return NODES.every((n) => peers.some((p) => p.peer === n.ipv4 && p.status === "up")) ? true : undefined;
    },
    { what: "every node's BFD session up at FRR", timeoutMs: 60_000 },
  );
  await allWorkerHops(prefix);
  const trials = Number(process.env.METALBUN_BENCH_BFD_TRIALS ?? 20);
  const { gone } = await nodeKillFailover(prefix, vip, trials, BFD_HOLD_MS, ms);
  emitPercentiles(
    BENCH,
    `${name}_failover_ms`,
    gone.map((s) => s * 1000),
    "ms",
    1,
  );
  emit(BENCH, `${name}_cpu_pct`, Math.round((await bfdThreadCpu(30)) * 100) / 100, "%", WORKERS.length);
  return router;
}

export async function bgpNodesBench(): Promise<void> {
  const parts = process.argv.slice(3);
  const wanted = (part: string) => parts.length === 0 || parts.includes(part);
  netDownOnSignals();
  let frr: FrrHandle | undefined;
  try {
    await bgpNodesUp();
    frr = await startFrr(ROUTER.name, BENCH_ROUTER);
    await addClientPoolRoutes();
    await apply(aBgpPeer("router", {}), aBgpAdvertisement("bgp-adv"));
    await ok(["apply", "-f", join(SEED, "svc1.yaml")]);
    await sessionsUp(NODES, SHORT_HOLD_MS);
    const vip = await waitFor(
      async () =>
        (await ok(["get", "svc", "svc1", "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}"])).trim() ||
        undefined,
      { what: "svc1's IP" },
    );
    const prefix = `${vip}/32`;
    await allWorkerHops(prefix);
    console.error(`[bgp-nodes] svc1 ${vip} via ${(await kernelNextHops(prefix)).join(", ")}`);

    if (wanted("hold"))
      stats(
        "bgp_hold_failover_3s_s",
        await holdFailover(nodeNamed("myk8s-worker"), prefix, TRIALS, SHORT_HOLD_MS),
      );
    if (wanted("kill")) {
      const { gone, answered } = await nodeKillFailover(prefix, vip, Math.min(TRIALS, 6), SHORT_HOLD_MS);
      stats("bgp_node_kill_failover_s", gone);
      stats("bgp_node_kill_curl_ok_s", answered);
    }
    if (wanted("rolling")) {
      const rolling = await probeWhile([vip], async () => {
        await ok(["rollout", "restart", "daemonset/speaker", "-n", "metallb-system"]);
        await ok(["rollout", "status", "daemonset/speaker", "-n", "metallb-system", "--timeout=300s"]);
        await allWorkerHops(prefix);
      });
      console.error(`[rolling] lost at ms ${JSON.stringify(rolling.lostAt ?? [])}`);
      emit(BENCH, "bgp_rolling_restart_lost_probes", rolling.lost, "probes", rolling.sent);
    }
    if (wanted("gr")) {
      // enableGracefulRestart cannot change on an existing BGPPeer (MetalLB's CRD rule).
      await ok(["delete", "bgppeer", "router", "-n", "metallb-system"]);
      await apply(aBgpPeer("router", { enableGracefulRestart: true }));
      await sessionsUp(NODES, SHORT_HOLD_MS, 120_000);
      await allWorkerHops(prefix);
      // The peer was recreated: its routes went and came back; let the router and the flows settle.
      await Bun.sleep(3_000);
      let watching = true;
      let fewest = WORKERS.length;
      const watch = (async () => {
        while (watching) {
          fewest = Math.min(fewest, (await kernelNextHops(prefix)).length);
          await Bun.sleep(20);
        }
      })();
      const rolling = await probeWhile([vip], async () => {
        await ok(["rollout", "restart", "daemonset/speaker", "-n", "metallb-system"]);
        await ok(["rollout", "status", "daemonset/speaker", "-n", "metallb-system", "--timeout=300s"]);
        await allWorkerHops(prefix);
      });
      watching = false;
      await watch;
      console.error(`[gr] lost at ms ${JSON.stringify(rolling.lostAt ?? [])}`);
      emit(BENCH, "bgp_gr_rolling_restart_lost_probes", rolling.lost, "probes", rolling.sent);
      emit(BENCH, "bgp_gr_rolling_min_next_hops", fewest, "next hops", WORKERS.length);
      await ok(["delete", "bgppeer", "router", "-n", "metallb-system"]);
      await apply(aBgpPeer("router", {}));
      await sessionsUp(NODES, SHORT_HOLD_MS, 120_000);
    }
    if (wanted("bfd")) {
      frr = await bfdFailover(frr, prefix, vip, 300, "bgp_bfd");
      frr = await bfdFailover(frr, prefix, vip, 100, "bgp_bfd100");
      await frr.stop();
      frr = await startFrr(ROUTER.name, BENCH_ROUTER);
      await apply(aBgpPeer("router", {}));
      await sessionsUp(NODES, SHORT_HOLD_MS, 120_000);
    }
    if (wanted("hold90")) {
      await apply(aBgpPeer("router", { holdTime: undefined }));
      await sessionsUp(NODES, DEFAULT_HOLD_MS, 180_000);
      const { gone } = await nodeKillFailover(prefix, vip, 1, DEFAULT_HOLD_MS);
      emit(BENCH, "bgp_hold_failover_default_s", Math.round(gone[0]! * 1000) / 1000, "s", 1);
    }
  } finally {
    await removeClientPoolRoutes().catch(() => undefined);
    await frr?.stop().catch(() => undefined);
    await realClusterDown();
  }
}
