/**
 * LoadBalancer Services for the controller benches (`controller`, `peers`): how they are made, how
 * many at once, and the steady create→IP churn that both benches time the same way.
 */
import type { Service } from "../../operator/src/domain/api/core.ts";
import type { KubeClient } from "../../operator/src/kube/client.ts";
import { resources } from "../../operator/src/kube/resource.ts";
import type { KubeObject } from "../../operator/src/kube/types.ts";
import { ServiceIpWatch } from "./service-ip-watch.ts";

export function benchService(namespace: string, name: string): Service & KubeObject {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace },
    spec: {
      type: "LoadBalancer",
      // 10k LoadBalancer Services would exhaust the 2768 NodePorts; MetalLB never uses them.
      allocateLoadBalancerNodePorts: false,
      selector: { app: name },
      ports: [{ port: 80, protocol: "TCP" }],
    } as Service["spec"],
  };
}

export async function mapLimit<T>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/** Creates `prefix-0` .. `prefix-(count-1)`, 32 in flight; returns their names. */
export async function createServices(
  client: KubeClient,
  namespace: string,
  count: number,
  prefix: string,
): Promise<string[]> {
  const names = Array.from({ length: count }, (_, i) => `${prefix}-${i}`);
  await mapLimit(names, 32, async (name) => {
    await client.create(resources.services, benchService(namespace, name));
  });
  return names;
}

export interface ChurnTimes {
  /** Sending the create → the IP seen on a watch, per Service that got one. */
  readonly fromSend: number[];
  /** The create's answer → the IP seen (Services whose IP came back before the answer: left out). */
  readonly fromAck: number[];
  /** How long each create call took. */
  readonly createCalls: number[];
  /** Services that had no IP when the wait ended. */
  readonly missing: number;
}

/**
 * Creates `count` Services one by one, one every `intervalMs` (20 ms = 50/s), while a watch on the
 * namespace (opened first) notes when each first shows an IP; waits up to `waitMs` after the last
 * create for the stragglers. The controller's part is `fromAck`: from the moment the Service
 * exists to the moment a client watching it sees its IP.
 */
export async function createAtSteadyRate(
  client: KubeClient,
  namespace: string,
  count: number,
  intervalMs: number,
  prefix: string,
  waitMs = 30_000,
): Promise<ChurnTimes> {
  const watch = await ServiceIpWatch.open(client, namespace);
  const sentAt = new Map<string, number>();
  const ackedAt = new Map<string, number>();
  const createCalls: number[] = [];
  for (let i = 0; i < count; i++) {
    const name = `${prefix}-${i}`;
    const sent = performance.now();
    sentAt.set(name, sent);
    await client.create(resources.services, benchService(namespace, name));
    const acked = performance.now();
    ackedAt.set(name, acked);
    createCalls.push(acked - sent);
    await Bun.sleep(Math.max(0, intervalMs - (performance.now() - sent)));
  }
  const deadline = performance.now() + waitMs;
  const seenAll = () => [...sentAt.keys()].every((name) => watch.seenAt(name) !== undefined);
  while (!seenAll() && performance.now() < deadline) await Bun.sleep(50);
  await watch.stop();
  const fromSend: number[] = [];
  const fromAck: number[] = [];
  let missing = 0;
  for (const [name, sent] of sentAt) {
    const seen = watch.seenAt(name);
    if (seen === undefined) {
      missing++;
      continue;
    }
    fromSend.push(seen - sent);
    const acked = ackedAt.get(name)!;
    // Seen before the create's answer: that Service counts from the send only.
    if (seen >= acked) fromAck.push(seen - acked);
  }
  return { fromSend, fromAck, createCalls, missing };
}
