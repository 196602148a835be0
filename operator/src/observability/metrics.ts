/**
 * Prometheus metrics under MetalLB's names (reference §6), so dashboards and alerts written for
 * MetalLB (MetalLBStaleConfig, MetalLBAddressPoolExhausted, ...) work unchanged. One registry per
 * process; each component registers its own families on it.
 *
 * MetalLB v0.16 serves them over HTTPS on :9120; we serve plain HTTP on --port for now.
 */
import { Counter, collectDefaultMetrics, Gauge, Registry } from "prom-client";

/** Families both components export (metallb_k8s_client_*). */
export interface ClientMetrics {
  readonly updates: Counter;
  readonly updateErrors: Counter;
  readonly configLoaded: Gauge;
  readonly configStale: Gauge;
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

export function createRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
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
