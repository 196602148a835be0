/**
 * `bun e2e/bench/reconcile-micro.ts`: the controller's pure reconcile over 10k Services, no cluster.
 * Full runs (cold, writes in flight, writes landed, steady) and one changed Service among 10k
 * (created, then its write landed), p50/p99 over many trials; and a cold start's landing, the
 * writes of 10k Services landing BATCH at a time (default 10), each batch one indexed reconcile.
 * Prints JSON lines like the other benches.
 */

import type { Service } from "../../operator/src/domain/api/core.ts";
import type { IPAddressPool } from "../../operator/src/domain/api/ip-address-pool.ts";
import type { ControllerInputs } from "../../operator/src/domain/controller/inputs.ts";
import {
  type ControllerState,
  initialControllerState,
  reconcileController,
} from "../../operator/src/domain/controller/reconcile.ts";
import { onlyPools } from "../../operator/src/domain/controller/testing.ts";

const N = Number(process.env.N ?? 10_000);
const TRIALS = Number(process.env.TRIALS ?? 300);
const opts = { loadBalancerClass: "", now: "2026-01-01T00:00:00Z" };

function svc(i: number, ip?: string): Service {
  const cluster = `10.96.${(i >> 8) & 255}.${i & 255}`;
  return {
    metadata: {
      name: `s${i}`,
      namespace: "b",
      uid: `u${i}`,
      annotations: ip ? { "metallb.io/ip-allocated-from-pool": "p" } : {},
    },
    spec: {
      type: "LoadBalancer",
      clusterIP: cluster,
      clusterIPs: [cluster],
      ports: [{ port: 80, protocol: "TCP" }],
      selector: { app: `s${i}` },
    },
    status: { loadBalancer: { ingress: ip ? [{ ip }] : [] } },
  } as Service;
}

const pool = {
  apiVersion: "metallb.io/v1beta1",
  kind: "IPAddressPool",
  metadata: { name: "p", namespace: "metallb-system" },
  spec: { addresses: ["10.200.0.0/16"] },
} as IPAddressPool;

const inputs = (services: readonly Service[]): ControllerInputs => ({
  services,
  ...onlyPools(pool),
});

function line(metric: string, value: number, n: number): void {
  console.log(
    JSON.stringify({ bench: "reconcile-micro", metric, value: Number(value.toFixed(3)), unit: "ms", n }),
  );
}

function timed<T>(f: () => T): [T, number] {
  const t = performance.now();
  const r = f();
  return [r, performance.now() - t];
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

const fresh = Array.from({ length: N }, (_, i) => svc(i));
const [o1, cold] = timed(() => reconcileController(inputs(fresh), initialControllerState, opts));
line("full_cold_10k", cold, N);
const [o2, inflight] = timed(() => reconcileController(inputs(fresh), o1.state, opts));
line("full_inflight_10k", inflight, N);
const landed = fresh.map((_, i) => svc(i, o1.writes.get(`b/s${i}`)!.write.ingressIPs[0]));
const [o3, land] = timed(() => reconcileController(inputs(landed), o2.state, opts));
line("landed_10k", land, N);
const [o4, steady] = timed(() => reconcileController(inputs(landed), o3.state, opts));
line("steady_10k", steady, N);

// One Service created among N, reconciled, then its write lands and is reconciled again.
let state: ControllerState = o4.state;
let services = [...landed];
const create: number[] = [];
const land1: number[] = [];
for (let t = 0; t < TRIALS; t++) {
  const added = svc(N + t);
  services.push(added);
  const [a, dt] = timed(() => reconcileController(inputs(services), state, opts));
  create.push(dt);
  const ip = a.writes.get(`b/s${N + t}`)?.write.ingressIPs[0];
  if (ip === undefined) throw new Error("no IP for the new Service");
  services = services.slice(0, -1);
  services.push(svc(N + t, ip));
  const [b, dt2] = timed(() => reconcileController(inputs(services), a.state, opts));
  land1.push(dt2);
  state = b.state;
}
create.sort((a, b) => a - b);
land1.sort((a, b) => a - b);
line("one_created_p50", quantile(create, 0.5), TRIALS);
line("one_created_p99", quantile(create, 0.99), TRIALS);
line("one_landed_p50", quantile(land1, 0.5), TRIALS);
line("one_landed_p99", quantile(land1, 0.99), TRIALS);

// The same, given the store's index of what changed (as the controller pipeline passes it).
{
  const key = (s: Service) => `${s.metadata?.namespace}/${s.metadata?.name}`;
  let byKey = new Map(landed.map((s) => [key(s), s]));
  let st: ControllerState = reconcileController(
    { ...inputs([...byKey.values()]), serviceIndex: { byKey } },
    o4.state,
    opts,
  ).state;
  const created: number[] = [];
  const landedOne: number[] = [];
  const step = (change: Service): [ReturnType<typeof reconcileController>, number] => {
    const since = byKey;
    byKey = new Map(since).set(key(change), change);
    const services = [...byKey.values()];
    const serviceIndex = { byKey, changed: { since, keys: new Set([key(change)]) } };
    return timed(() => reconcileController({ ...inputs(services), serviceIndex }, st, opts));
  };
  for (let t = 0; t < TRIALS; t++) {
    const i = 2 * N + t;
    const [a, dt] = step(svc(i));
    created.push(dt);
    st = a.state;
    const ip = a.writes.get(`b/s${i}`)?.write.ingressIPs[0];
    if (ip === undefined) throw new Error("no IP for the new Service (indexed)");
    const [b, dt2] = step(svc(i, ip));
    landedOne.push(dt2);
    st = b.state;
  }
  created.sort((a, b) => a - b);
  landedOne.sort((a, b) => a - b);
  line("indexed_one_created_p50", quantile(created, 0.5), TRIALS);
  line("indexed_one_created_p99", quantile(created, 0.99), TRIALS);
  line("indexed_one_landed_p50", quantile(landedOne, 0.5), TRIALS);
  line("indexed_one_landed_p99", quantile(landedOne, 0.99), TRIALS);
}

// A cold start's landing, as the pipeline sees it: from the cold plan (every Service waiting for its
// write), the writes land BATCH at a time, each batch one indexed reconcile. The total is what the
// reconcile costs the controller's main thread over a cold start, beside the I/O.
{
  const BATCH = Number(process.env.BATCH ?? 10);
  const key = (s: Service) => `${s.metadata?.namespace}/${s.metadata?.name}`;
  let byKey = new Map(fresh.map((s) => [key(s), s]));
  let st = reconcileController(
    { ...inputs([...byKey.values()]), serviceIndex: { byKey } },
    initialControllerState,
    opts,
  );
  const ips = new Map([...st.writes].map(([k, w]) => [k, w.write.ingressIPs[0]!]));
  const steps: number[] = [];
  for (let from = 0; from < N; from += BATCH) {
    const since = byKey;
    byKey = new Map(since);
    const keys = new Set<string>();
    for (let i = from; i < Math.min(N, from + BATCH); i++) {
      const k = `b/s${i}`;
      byKey.set(k, svc(i, ips.get(k)));
      keys.add(k);
    }
    const services = [...byKey.values()];
    const [next, dt] = timed(() =>
      reconcileController(
        { ...inputs(services), serviceIndex: { byKey, changed: { since, keys } } },
        st.state,
        opts,
      ),
    );
    steps.push(dt);
    st = next;
  }
  const total = steps.reduce((a, b) => a + b, 0);
  line(`cold_landing_total_batch${BATCH}`, total, steps.length);
  steps.sort((a, b) => a - b);
  line(`cold_landing_step_p50_batch${BATCH}`, quantile(steps, 0.5), steps.length);
}
