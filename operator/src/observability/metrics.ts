/**
 * Prometheus metrics under MetalLB's names (reference §6), so dashboards and alerts written for
 * MetalLB (MetalLBStaleConfig, MetalLBAddressPoolExhausted, ...) work unchanged. One registry per
 * process; each component registers its own families on it.
 *
 * MetalLB v0.16 serves them over HTTPS on :9120; we serve plain HTTP on --port for now.
 */
import { PresenceGauge } from "./presence-gauge.ts";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "./prom-client.ts";

/** Families both components export (metallb_k8s_client_*). */
export interface ClientMetrics {
  readonly updates: Counter;
  readonly updateErrors: Counter;
  readonly configLoaded: Gauge;
  readonly configStale: Gauge;
  readonly watchRetries: Counter<"resource" | "relist">;
}

/** metallb_allocator_* of the controller, labelled by pool. */
export interface AllocatorMetrics {
  readonly addressesTotal: Gauge<"pool">;
  readonly ipv4AddressesTotal: Gauge<"pool">;
  readonly ipv6AddressesTotal: Gauge<"pool">;
  readonly addressesInUse: Gauge<"pool">;
  readonly ipv4AddressesInUse: Gauge<"pool">;
  readonly ipv6AddressesInUse: Gauge<"pool">;
}

/**
 * prom-client's per-space heap gauges read v8.getHeapSpaceStatistics(), which Bun answers from
 * JavaScriptCore's heap statistics: a walk of the whole heap on every scrape. Measured (Bun 1.4.5):
 * 20 ms per scrape with 300k objects; a controller holding 10k Services spent 18 % of its cold
 * start in it while scraped every 100 ms. The event loop is blocked for that time, so they are
 * left out; nodejs_heap_size_total_bytes and nodejs_heap_size_used_bytes remain.
 */
export const EXPENSIVE_DEFAULT_METRICS = [
  "nodejs_heap_space_size_total_bytes",
  "nodejs_heap_space_size_used_bytes",
  "nodejs_heap_space_size_available_bytes",
] as const;

/**
 * The event-loop lag gauges sample with a timer of this period. prom-client's default (10 ms)
 * wakes the event loop 100 times a second: 0.35 % of a core on an idle Bun process. Each wake-up
 * also costs Bun's allocator thread (mi-scavenger) a sweep of the thread's heap when it parks
 * again, which grows with the heap: an idle speaker with 1k Services spent 0.33 % of a core there
 * sampling every 100 ms, 0.17 % every second (bench l2 footprint1k). A stall of a second or more
 * is always seen; shorter ones in proportion to their length. Stalls of the heartbeat thread are
 * measured by the membership engine itself.
 */
export const EVENT_LOOP_SAMPLE_MS = 1000;

export function createRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS });
  for (const name of EXPENSIVE_DEFAULT_METRICS) registry.removeSingleMetric(name);
  return registry;
}

export function clientMetrics(registry: Registry): ClientMetrics {
  return {
    updates: new Counter({
      name: "metallb_k8s_client_updates_total",
      help: "Number of k8s object updates that have been processed.",
      registers: [registry],
    }),
    updateErrors: new Counter({
      name: "metallb_k8s_client_update_errors_total",
      help: "Number of k8s object updates that failed for some reason.",
      registers: [registry],
    }),
    configLoaded: new Gauge({
      name: "metallb_k8s_client_config_loaded_bool",
      help: "1 if the MetalLB configuration was successfully loaded at least once.",
      registers: [registry],
    }),
    configStale: new Gauge({
      name: "metallb_k8s_client_config_stale_bool",
      help: "1 if running on a stale configuration, because the latest config failed to load.",
      registers: [registry],
    }),
    watchRetries: new Counter({
      name: "metalbun_k8s_client_watch_retries_total",
      help: "List+watch attempts that ended (an error, or the stream's end) and were retried, by resource.",
      labelNames: ["resource", "relist"],
      registers: [registry],
    }),
  };
}

function poolGauge(registry: Registry, name: string, help: string): Gauge<"pool"> {
  return new Gauge({ name, help, labelNames: ["pool"], registers: [registry] });
}

export function allocatorMetrics(registry: Registry): AllocatorMetrics {
  return {
    addressesTotal: poolGauge(
      registry,
      "metallb_allocator_addresses_total",
      "Number of usable IP addresses, per pool",
    ),
    ipv4AddressesTotal: poolGauge(
      registry,
      "metallb_allocator_ipv4_addresses_total",
      "Number of usable IPv4 addresses, per pool",
    ),
    ipv6AddressesTotal: poolGauge(
      registry,
      "metallb_allocator_ipv6_addresses_total",
      "Number of usable IPv6 addresses, per pool",
    ),
    addressesInUse: poolGauge(
      registry,
      "metallb_allocator_addresses_in_use_total",
      "Number of IP addresses in use, per pool",
    ),
    ipv4AddressesInUse: poolGauge(
      registry,
      "metallb_allocator_ipv4_addresses_in_use_total",
      "Number of IPv4 addresses in use, per pool",
    ),
    ipv6AddressesInUse: poolGauge(
      registry,
      "metallb_allocator_ipv6_addresses_in_use_total",
      "Number of IPv6 addresses in use, per pool",
    ),
  };
}

export interface MetricsServer {
  readonly port: number;
  stop(): Promise<void>;
}

export function startMetricsServer(hostname: string, port: number, registry: Registry): MetricsServer {
  const server = Bun.serve({
    hostname,
    port,
    async fetch(req) {
      if (new URL(req.url).pathname !== "/metrics") return new Response("not found\n", { status: 404 });
      return new Response(await registry.metrics(), { headers: { "content-type": registry.contentType } });
    },
  });
  return { port: server.port ?? port, stop: () => server.stop(true) };
}

/** The speaker's families (MetalLB names) plus our takeover histogram. */
export interface SpeakerMetrics {
  /** metallb_speaker_announced{service,protocol,node,ip}: 1 while this node announces it (desired state). */
  readonly announced: PresenceGauge<"service" | "protocol" | "node" | "ip">;
  readonly layer2RequestsReceived: Counter<"ip">;
  readonly layer2ResponsesSent: Counter<"ip">;
  readonly layer2GratuitousSent: Counter<"ip">;
  /**
   * Not in MetalLB: seconds from the moment a peer was declared dead (or left) to this node
   * announcing the IPs it inherited, so failover speed is visible in production too.
   */
  readonly takeoverSeconds: Histogram;
}

export function speakerMetrics(registry: Registry): SpeakerMetrics {
  return {
    announced: new PresenceGauge(
      "metallb_speaker_announced",
      "Services being announced from this node. This is desired state, it does not guarantee that the routing protocols have converged.",
      [registry],
    ),
    layer2RequestsReceived: new Counter({
      name: "metallb_layer2_requests_received",
      help: "Number of layer2 requests received for owned IPs",
      labelNames: ["ip"],
      registers: [registry],
    }),
    layer2ResponsesSent: new Counter({
      name: "metallb_layer2_responses_sent",
      help: "Number of layer2 responses sent for owned IPs",
      labelNames: ["ip"],
      registers: [registry],
    }),
    layer2GratuitousSent: new Counter({
      name: "metallb_layer2_gratuitous_sent",
      help: "Number of gratuitous layer2 packets sent for owned IPs as a result of failovers",
      labelNames: ["ip"],
      registers: [registry],
    }),
    takeoverSeconds: new Histogram({
      name: "metalbun_layer2_takeover_seconds",
      help: "Time from a peer declared dead or leaving to this node announcing the IPs it inherited",
      buckets: [0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1, 2, 5, 10],
      registers: [registry],
    }),
  };
}
