import { expect, test } from "bun:test";
import { PresenceGauge } from "./presence-gauge.ts";
import { Gauge, Registry } from "./prom-client.ts";

const rows = [
  { service: "default/web", protocol: "layer2", node: "a", ip: "10.0.0.1" },
  { service: "default/web", protocol: "layer2", node: "a", ip: "fd00::1" },
  { service: 'odd/"quoted"\\name', protocol: "bgp", node: "a", ip: "10.0.0.2" },
];

test("scraped, it reads exactly as prom-client's Gauge with the same rows set to 1", async () => {
  const ours = new Registry();
  const theirs = new Registry();
  const gauge = new PresenceGauge<"service" | "protocol" | "node" | "ip">("announced", "help text", [ours]);
  const reference = new Gauge({
    name: "announced",
    help: "help text",
    labelNames: ["service", "protocol", "node", "ip"],
    registers: [theirs],
  });
  for (const row of rows) reference.set(row, 1);
  gauge.show(() => rows);
  expect(await ours.metrics()).toBe(await theirs.metrics());
  expect(await ours.getMetricsAsJSON()).toEqual(await theirs.getMetricsAsJSON());
});

test("each scrape reads the set anew; reset empties it", async () => {
  const registry = new Registry();
  const gauge = new PresenceGauge<"ip">("present", "help", [registry]);
  let current = [{ ip: "10.0.0.1" }];
  let reads = 0;
  gauge.show(() => {
    reads += 1;
    return current;
  });
  expect(await registry.metrics()).toContain('present{ip="10.0.0.1"} 1');
  current = [{ ip: "10.0.0.9" }];
  const text = await registry.metrics();
  expect(text).toContain('present{ip="10.0.0.9"} 1');
  expect(text).not.toContain("10.0.0.1");
  expect(reads).toBe(2);
  gauge.reset();
  expect(await registry.metrics()).not.toContain("present{");
});
