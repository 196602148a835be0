/**
 * `bun e2e/bench/bgp-loop-lag.ts`: does a busy main thread delay our BGP KEEPALIVEs? One session
 * (hold 3 s, keepalive 1 s) against a peer in its own process on 127.0.0.1
 * (operator/src/announcers/bgp/testing/timing-peer.ts), which timestamps what it hears and runs its
 * own hold timer. Meanwhile the main thread does what a 10k-Service burst costs it: JSON.parse of a
 * 10k Service list and of their EndpointSlices, then a full reconcileSpeaker over them, one
 * synchronous task per burst, BURSTS of them with one turn of the event loop between. Then one
 * 5 s block (a stall: a slow node, a throttled cgroup, a long collection). Each scenario with the
 * session on the main thread ("main") and in the BGP session Worker ("worker").
 *
 * JSON lines {bench, metric, value, unit, n}: the burst's duration, the main loop's worst lag, the
 * KEEPALIVE gaps the peer saw (max, p50; max includes the silence after which its hold timer
 * fired) and how often its hold timer fired.
 *
 *   N=10000 BURSTS=50 TRIALS=3 bun e2e/bench/bgp-loop-lag.ts
 * Loopback only: no namespaces, no router.
 */
import type { ManagedSession } from "../../operator/src/announcers/bgp/announcer.ts";
import { BgpSession, type BgpSessionOptions } from "../../operator/src/announcers/bgp/session.ts";
import { SessionWorkerHost } from "../../operator/src/announcers/bgp/session-worker-host.ts";
import { loopbackSessionSpec } from "../../operator/src/announcers/bgp/testing/session-spec.ts";
import { startTimingPeer, type TimingPeer } from "../../operator/src/announcers/bgp/testing/timing-peer.ts";
import type { EndpointSlice, Service } from "../../operator/src/domain/api/core.ts";
import type { BgpRoute, BgpSessionSpec } from "../../operator/src/domain/bgp/types.ts";
import { anL2Ad, aPool } from "../../operator/src/domain/config/testing.ts";
import { initialSpeakerState, reconcileSpeaker } from "../../operator/src/domain/speaker/reconcile.ts";
import {
  aNodeObject,
  anAnnouncedService,
  aSlice,
  defaultOptions,
} from "../../operator/src/domain/speaker/testing.ts";

const N = Number(process.env.N ?? 10_000);
const BURSTS = Number(process.env.BURSTS ?? 50);
const TRIALS = Number(process.env.TRIALS ?? 3);
const STALL_MS = Number(process.env.STALL_MS ?? 5000);
const ROUTES = Number(process.env.ROUTES ?? 2500);
const HOLD_S = 3;
const KEEPALIVE_S = 1;
const NODES = ["n1", "n2", "n3", "n4"];

type Mode = "main" | "worker";

function line(metric: string, value: number, unit: string, n: number): void {
  console.log(JSON.stringify({ bench: "bgp-loop-lag", metric, value: Number(value.toFixed(3)), unit, n }));
}

const ipOf = (i: number) => `10.1${(i >> 16) & 9}.${(i >> 8) & 255}.${i & 255}`;

/** What the apiserver sends: the objects with the metadata a real list carries. */
function asListed(service: Service, i: number): unknown {
  return {
    ...service,
    metadata: {
      ...service.metadata,
      resourceVersion: String(100_000 + i),
      creationTimestamp: "2025-01-01T00:00:00Z",
      managedFields: [
        {
          manager: "kubectl-client-side-apply",
          operation: "Update",
          apiVersion: "v1",
          time: "2025-01-01T00:00:00Z",
          fieldsType: "FieldsV1",
          fieldsV1: { "f:spec": { "f:ports": { 'k:{"port":80,"protocol":"TCP"}': { ".": {} } } } },
        },
      ],
    },
  };
}

const servicesJson = JSON.stringify({
  kind: "ServiceList",
  items: Array.from({ length: N }, (_, i) => asListed(anAnnouncedService(`s${i}`, [ipOf(i)]), i)),
});
const slicesJson = JSON.stringify({
  kind: "EndpointSliceList",
  items: Array.from({ length: N }, (_, i) => aSlice(`s${i}`, NODES)),
});
const nodes = NODES.map((n) => aNodeObject(n));
const pools = [aPool("p", { addresses: ["10.10.0.0/16", "10.11.0.0/16"] })];
const ads = [anL2Ad("all")];

/** One burst, synchronous: decode both lists, reconcile from scratch. */
function burst(): void {
  const services = (JSON.parse(servicesJson) as { items: Service[] }).items;
  const endpointSlices = (JSON.parse(slicesJson) as { items: EndpointSlice[] }).items;
  reconcileSpeaker(
    {
      nodeName: "n1",
      members: NODES,
      services,
      endpointSlices,
      nodes,
      namespaces: [],
      ipAddressPools: pools,
      l2Advertisements: ads,
      bgpAdvertisements: [],
      bgpPeers: [],
      bfdProfiles: [],
      communities: [],
    },
    initialSpeakerState,
    defaultOptions,
  );
}

function stall(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // Busy: no turn of the event loop.
  }
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));
const wallNow = () => performance.timeOrigin + performance.now();

function spec(port: number): BgpSessionSpec {
  return loopbackSessionSpec(port, { holdTimeS: HOLD_S, keepaliveTimeS: KEEPALIVE_S });
}

const routes: BgpRoute[] = Array.from({ length: ROUTES }, (_, i) => ({
  prefix: `${ipOf(i)}/32`,
  family: "ipv4",
  localPref: undefined,
  communities: [],
  largeCommunities: [],
}));

/** The main loop's worst lateness for a 10 ms interval timer, while `work` runs. */
async function withLoopLag(work: () => Promise<void>): Promise<number> {
  let worst = 0;
  let expected = performance.now() + 10;
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - expected);
    expected = now + 10;
  }, 10);
  await work();
  // One more tick of the timer, so that a block at the very end is seen too.
  await Bun.sleep(20);
  clearInterval(timer);
  return worst;
}

async function until(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) return false;
    await Bun.sleep(20);
  }
  return true;
}

interface Outcome {
  maxGapMs: number;
  p50GapMs: number;
  gaps: number;
  holdExpired: number;
  /** Our side left Established during the scenario. */
  dropped: boolean;
  loopLagMs: number;
  burstMs: number[];
}

async function scenario(mode: Mode, work: (burstMs: number[]) => Promise<void>): Promise<Outcome> {
  const peer: TimingPeer = await startTimingPeer({ holdTimeS: HOLD_S, keepaliveS: KEEPALIVE_S });
  const host = new SessionWorkerHost();
  let left = false;
  const options: BgpSessionOptions = {
    nodeName: "n1",
    onStatus: (s) => {
      if (s.state !== "established" && established) left = true;
    },
  };
  let established = false;
  const session: ManagedSession =
    mode === "main" ? new BgpSession(spec(peer.port), options) : host.factory(spec(peer.port), options);
  session.setRoutes(routes);
  session.start();
  if (!(await until(() => session.status().state === "established", 10_000))) {
    throw new Error(`${mode}: the session did not come up`);
  }
  established = true;
  await Bun.sleep(2 * KEEPALIVE_S * 1000);
  const burstMs: number[] = [];
  const from = wallNow();
  const loopLagMs = await withLoopLag(() => work(burstMs));
  // The KEEPALIVE due after the work: the last gap that overlaps it.
  await Bun.sleep(KEEPALIVE_S * 1000 + 300);
  const to = wallNow();
  const gaps = peer.keepaliveGaps(from, to).sort((a, b) => a - b);
  // A connection the peer closed on hold expiry: its silence is the gap that ended it.
  const silences = peer.lines.flatMap((l) => (l.event === "holdExpired" && l.t >= from ? [l.silenceMs] : []));
  const outcome: Outcome = {
    maxGapMs: Math.max(gaps.at(-1) ?? 0, ...silences),
    p50GapMs: gaps[Math.floor(gaps.length / 2)] ?? Number.NaN,
    gaps: gaps.length,
    holdExpired: peer.holdExpiries(),
    dropped: left,
    loopLagMs,
    burstMs,
  };
  await session.stop("adminShutdown");
  await peer.stop();
  return outcome;
}

const bursts = async (burstMs: number[]) => {
  for (let i = 0; i < BURSTS; i++) {
    const t = performance.now();
    burst();
    burstMs.push(performance.now() - t);
    await turn();
  }
};
const oneStall = async () => stall(STALL_MS);

const SCENARIOS: [string, (burstMs: number[]) => Promise<void>][] = [
  ["burst", bursts],
  ["stall", oneStall],
];

for (const [name, work] of SCENARIOS) {
  for (const mode of ["main", "worker"] as const) {
    const outcomes: Outcome[] = [];
    for (let t = 0; t < TRIALS; t++) outcomes.push(await scenario(mode, work));
    const all = (f: (o: Outcome) => number) => outcomes.map(f);
    const prefix = `${name}_${mode}`;
    if (name === "burst") {
      const ms = outcomes.flatMap((o) => o.burstMs).sort((a, b) => a - b);
      line(`${prefix}_burst_ms_p50`, ms[Math.floor(ms.length / 2)]!, "ms", ms.length);
      line(`${prefix}_burst_ms_max`, ms.at(-1)!, "ms", ms.length);
    }
    line(`${prefix}_keepalive_gap_max`, Math.max(...all((o) => o.maxGapMs)), "ms", TRIALS);
    line(`${prefix}_keepalive_gap_p50`, Math.max(...all((o) => o.p50GapMs)), "ms", TRIALS);
    line(
      `${prefix}_keepalive_gaps`,
      all((o) => o.gaps).reduce((a, b) => a + b, 0),
      "count",
      TRIALS,
    );
    line(
      `${prefix}_peer_hold_expired`,
      all((o) => o.holdExpired).reduce((a, b) => a + b, 0),
      "count",
      TRIALS,
    );
    line(
      `${prefix}_session_dropped`,
      all((o) => (o.dropped ? 1 : 0)).reduce((a, b) => a + b, 0),
      "count",
      TRIALS,
    );
    line(`${prefix}_main_loop_lag_max`, Math.max(...all((o) => o.loopLagMs)), "ms", TRIALS);
  }
}
