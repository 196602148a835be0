/**
 * The speakers survive an apiserver outage (issue 4): with the apiserver stopped, they keep
 * announcing what they announced, and when the owner of a Service dies they still fail over among
 * themselves on membership alone. When the apiserver returns they pick up new work again.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { registerEndpoints } from "../cluster/endpoints.ts";
import { ensureCluster, kubectl, stopApiserver } from "../cluster/harness.ts";
import type { RunningOperator } from "../lab/operator.ts";
import { seededTestbedDown, seededTestbedUp } from "../lab/seeded-testbed.ts";
import { execIn } from "../net/exec.ts";
import { run } from "../net/run.ts";
import { setServiceDnat } from "../net/testbed.ts";
import { CLIENT, memberByMac, NODES } from "../net/topology.ts";

const ROOT = join(import.meta.dir, "..", "..");
const SEED = join(ROOT, "e2e", "lab", "seed");
let op: RunningOperator | undefined;

async function ok(args: string[]): Promise<string> {
  const r = await kubectl(args);
  if (r.exitCode !== 0) throw new Error(`kubectl ${args.join(" ")}: ${r.stderr.trim()}`);
  return r.stdout;
}

async function neighOwner(ip: string): Promise<string | undefined> {
  const r = await run(["ip", "-n", CLIENT.name, "neigh", "show", ip, "dev", "eth0"]);
  const mac = r.stdout.match(/lladdr ([0-9a-f:]{17})/)?.[1];
  return mac ? memberByMac(mac)?.name : undefined;
}

async function until<T>(read: () => Promise<T>, good: (v: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let v = await read();
  while (!good(v) && Date.now() < deadline) {
    await Bun.sleep(20);
    v = await read();
  }
  return v;
}

async function ipOf(svc: string): Promise<string> {
  return until(
    async () => (await ok(["get", "svc", svc, "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}"])).trim(),
    (v) => v !== "",
    20_000,
  );
}

beforeAll(async () => {
  op = await seededTestbedUp();
}, 120_000);

afterAll(() => seededTestbedDown(op));

test("with the apiserver down, the owner's death still moves its IP, and work resumes when it returns", async () => {
  await registerEndpoints("default", "svc1", NODES.slice(1, 3));
  await ok(["apply", "-f", join(SEED, "svc1.yaml")]);
  const ip = await ipOf("svc1");
  for (const node of NODES) await setServiceDnat(node.name, [ip]);
  const owner = await until(
    async () => {
      await execIn(CLIENT.name, ["ping", "-c", "1", "-W", "1", ip]);
      return neighOwner(ip);
    },
    (o) => o !== undefined,
    10_000,
  );
  expect(owner).toBe("myk8s-worker");

  await stopApiserver();
  // Still announced while the apiserver is away.
  await Bun.sleep(2000);
  const stillThere = await execIn(CLIENT.name, ["curl", "-s", "-m", "2", `http://${ip}/`]);
  expect(stillThere.stdout.trim()).toBe("myk8s-worker");

  // The owner dies; the others agree on a successor without the apiserver.
  const started = performance.now();
  await op!.speakers.get("myk8s-worker")!.stop("SIGKILL", 0);
  await execIn("myk8s-worker", ["ip", "link", "set", "eth0", "down"]);
  const successor = await until(
    () => neighOwner(ip),
    (o) => o !== undefined && o !== "myk8s-worker",
    5_000,
  );
  const ms = performance.now() - started;
  console.error(`failover with the apiserver down: ${ms.toFixed(0)} ms to ${successor}`);
  expect(successor).toBe("myk8s-worker2");
  expect(ms).toBeLessThan(1000);
  const reply = await execIn(CLIENT.name, ["curl", "-s", "-m", "2", `http://${ip}/`]);
  expect(reply.stdout.trim()).toBe("myk8s-worker2");

  // The apiserver returns: the speakers' watches resume and new Services get announced.
  await ensureCluster();
  await registerEndpoints("default", "svc3", NODES.slice(1, 3));
  await ok(["apply", "-f", join(SEED, "svc3.yaml")]);
  const ip3 = await ipOf("svc3");
  const owner3 = await until(
    async () => {
      await execIn(CLIENT.name, ["ping", "-c", "1", "-W", "1", ip3]);
      return neighOwner(ip3);
    },
    (o) => o !== undefined,
    30_000,
  );
  expect(owner3).toBeDefined();
  expect(owner3).not.toBe("myk8s-worker");
}, 120_000);
