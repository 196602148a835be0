import { expect, test } from "bun:test";
import {
  allocatorMetrics,
  clientMetrics,
  createRegistry,
  EXPENSIVE_DEFAULT_METRICS,
  startMetricsServer,
} from "./metrics.ts";

test("MetalLB's metric names are served on /metrics", async () => {
  const registry = createRegistry();
  const client = clientMetrics(registry);
  const alloc = allocatorMetrics(registry);
  client.configLoaded.set(1);
  client.configStale.set(0);
  client.updates.inc();
  alloc.addressesTotal.set({ pool: "my-ippool" }, 51);
  alloc.addressesInUse.set({ pool: "my-ippool" }, 3);
  const server = startMetricsServer("127.0.0.1", 0, registry);
  try {
    const body = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
    expect(body).toContain("metallb_k8s_client_config_loaded_bool 1");
    expect(body).toContain("metallb_k8s_client_config_stale_bool 0");
    expect(body).toContain("metallb_k8s_client_updates_total 1");
    expect(body).toContain('metallb_allocator_addresses_total{pool="my-ippool"} 51');
    expect(body).toContain('metallb_allocator_addresses_in_use_total{pool="my-ippool"} 3');
    expect((await fetch(`http://127.0.0.1:${server.port}/other`)).status).toBe(404);
  } finally {
    await server.stop();
  }
});

test("a scrape never walks the heap: the per-space heap gauges are left out, the cheap ones stay", async () => {
  const text = await createRegistry().metrics();
  for (const name of EXPENSIVE_DEFAULT_METRICS) expect(text).not.toContain(name);
  expect(text).toContain("nodejs_heap_size_used_bytes");
  expect(text).toContain("process_resident_memory_bytes");
});
