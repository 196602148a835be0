/**
 * `bun e2e/bench/speaker-micro.ts`: the speaker's pure reconcile over 10k announced Services with
 * their EndpointSlices on 4 nodes, no cluster: a full run, a run with nothing changed, and one
 * Service changed among 10k (p50/p99), plus the heap the inputs and state hold. JSON lines.
 */
import { anL2Ad, aPool } from "../../operator/src/domain/config/testing.ts";
import type { SpeakerInputs } from "../../operator/src/domain/speaker/inputs.ts";
import {
  initialSpeakerState,
  reconcileSpeaker,
  type SpeakerState,
} from "../../operator/src/domain/speaker/reconcile.ts";
import {
  aNodeObject,
  anAnnouncedService,
  aSlice,
  defaultOptions,
} from "../../operator/src/domain/speaker/testing.ts";

const N = Number(process.env.N ?? 10_000);
const TRIALS = Number(process.env.TRIALS ?? 100);
const NODES = ["n1", "n2", "n3", "n4"];

function line(metric: string, value: number, n: number, unit = "ms"): void {
  console.log(JSON.stringify({ bench: "speaker-micro", metric, value: Number(value.toFixed(3)), unit, n }));
}

const ipOf = (i: number) => `10.1${(i >> 16) & 9}.${(i >> 8) & 255}.${i & 255}`;
Bun.gc(true);
const heapBefore = process.memoryUsage().heapUsed;
let services = Array.from({ length: N }, (_, i) => anAnnouncedService(`s${i}`, [ipOf(i)]));
const slices = Array.from({ length: N }, (_, i) => aSlice(`s${i}`, NODES));
// Objects that do not change keep their identity, as the pipeline's stores keep it.
const nodes = NODES.map((n) => aNodeObject(n));
const pools = [aPool("p", { addresses: ["10.10.0.0/16", "10.11.0.0/16"] })];
const ads = [anL2Ad("all")];
const inputs = (): SpeakerInputs => ({
  nodeName: "n1",
  members: NODES,
  services,
  endpointSlices: slices,
  nodes,
  namespaces: [],
  ipAddressPools: pools,
  l2Advertisements: ads,
  bgpAdvertisements: [],
  bgpPeers: [],
  bfdProfiles: [],
  communities: [],
});

const timed = <T>(f: () => T): [T, number] => {
  const t = performance.now();
  const r = f();
  return [r, performance.now() - t];
};
const [first, full] = timed(() => reconcileSpeaker(inputs(), initialSpeakerState, defaultOptions));
line("full_10k", full, N);
let state: SpeakerState = first.state;
const [, same] = timed(() => reconcileSpeaker(inputs(), state, defaultOptions));
line("unchanged_10k", same, N);
line("announced_here", first.l2.entries.length, N, "count");

const changed: number[] = [];
for (let t = 0; t < TRIALS; t++) {
  services = services.slice();
  services[t] = anAnnouncedService(`s${t}`, [ipOf(t)], { uid: `uid-new-${t}` });
  const [o, dt] = timed(() => reconcileSpeaker(inputs(), state, defaultOptions));
  changed.push(dt);
  state = o.state;
}
changed.sort((a, b) => a - b);
line("one_changed_p50", changed[Math.floor(TRIALS / 2)]!, TRIALS);
line("one_changed_p99", changed[Math.min(TRIALS - 1, Math.floor(TRIALS * 0.99))]!, TRIALS);
Bun.gc(true);
line("heap_mb_inputs_and_state", (process.memoryUsage().heapUsed - heapBefore) / 1e6, N, "MB");
{
  const status = require("node:fs").readFileSync("/proc/self/status", "utf8") as string;
  line("process_rss_mb", Number(status.match(/VmRSS:\s+(\d+)/)?.[1] ?? 0) / 1024, N, "MB");
}
{
  // What the process gives back once idle: a full collection, then Bun.shrink().
  Bun.gc(true);
  (Bun as unknown as { shrink(): void }).shrink();
  await Bun.sleep(200);
  const status = require("node:fs").readFileSync("/proc/self/status", "utf8") as string;
  line("process_rss_mb_after_shrink", Number(status.match(/VmRSS:\s+(\d+)/)?.[1] ?? 0) / 1024, N, "MB");
}
