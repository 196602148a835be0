/**
 * Helpers of the speaker e2e tests: kubectl that must succeed, polling, and who answers ARP for
 * an IP at mypc (the seed's client), read from the reply's MAC like `arping` in the seed.
 */
import { registerEndpoints } from "../cluster/endpoints.ts";
import { kubectl } from "../cluster/harness.ts";
import { execIn } from "../net/exec.ts";
import { CLIENT, memberByMac, nodeNamed } from "../net/topology.ts";

export async function ok(args: string[], stdin?: string): Promise<string> {
  const r = await kubectl(args, stdin === undefined ? {} : { stdin });
  if (r.exitCode !== 0) throw new Error(`kubectl ${args.join(" ")}: ${r.stderr.trim()}`);
  return r.stdout;
}

export async function until<T>(
  read: () => Promise<T>,
  good: (v: T) => boolean,
  timeoutMs: number,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let v = await read();
  while (!good(v) && Date.now() < deadline) {
    await Bun.sleep(50);
    v = await read();
  }
  return v;
}

/** Who answers for `ip` at mypc: ask by ARP (the reply names the MAC), like arping in the seed. */
export async function answerer(ip: string): Promise<string | undefined> {
  const r = await execIn(CLIENT.name, ["arping", "-c", "1", "-w", "1", "-I", "eth0", ip]);
  const mac = r.stdout.match(/reply from \S+ \[([0-9A-Fa-f:]{17})\]/)?.[1]?.toLowerCase();
  return mac ? memberByMac(mac)?.name : undefined;
}

export async function createService(
  name: string,
  etp: "Cluster" | "Local",
  endpointsOn: string[],
): Promise<string> {
  await registerEndpoints("default", name, endpointsOn.map(nodeNamed));
  await ok(
    ["apply", "-f", "-"],
    JSON.stringify({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name, namespace: "default" },
      spec: {
        type: "LoadBalancer",
        externalTrafficPolicy: etp,
        selector: { app: "webpod" },
        ports: [{ port: 80, targetPort: 80 }],
      },
    }),
  );
  return until(
    async () =>
      (await ok(["get", "svc", name, "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}"])).trim(),
    (v) => v !== "",
    20_000,
  );
}

/** A LoadBalancer Service asking for `pool` (metallb.io/address-pool), and the IP it gets. */
export async function createPoolService(name: string, pool: string): Promise<string> {
  await ok(
    ["apply", "-f", "-"],
    JSON.stringify({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name, namespace: "default", annotations: { "metallb.io/address-pool": pool } },
      spec: { type: "LoadBalancer", selector: { app: "webpod" }, ports: [{ port: 80, targetPort: 80 }] },
    }),
  );
  return until(
    async () =>
      (await ok(["get", "svc", name, "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}"])).trim(),
    (v) => v !== "",
    20_000,
  );
}

/** The ServiceL2Status objects of a Service, one line each: `<node> <interface names>`. */
export async function l2Statuses(service: string): Promise<string> {
  const text = await ok([
    "get",
    "servicel2statuses",
    "-n",
    "metallb-system",
    "-l",
    `metallb.io/service-name=${service}`,
    "-o",
    'jsonpath={range .items[*]}{.status.node} {.status.interfaces[*].name}{"\\n"}{end}',
  ]);
  return text
    .trim()
    .split("\n")
    .map((l) => l.trim())
    .filter(Boolean)
    .join("\n");
}

/** Waits until the nodes named by a Service's ServiceL2Status objects are `nodes` (sorted, joined). */
export async function untilL2StatusNodes(
  service: string,
  nodes: string,
  timeoutMs = 15_000,
): Promise<string> {
  const read = async () =>
    (await l2Statuses(service))
      .split("\n")
      .filter(Boolean)
      .map((l) => l.split(" ")[0])
      .sort()
      .join(" ");
  return until(read, (v) => v === nodes, timeoutMs);
}

/** Waits until `ip` is answered by a node for which `good` holds (or by nobody, if asked so). */
export function untilAnswered(
  ip: string,
  good: (node: string | undefined) => boolean,
  timeoutMs = 10_000,
): Promise<string | undefined> {
  return until(() => answerer(ip), good, timeoutMs);
}
