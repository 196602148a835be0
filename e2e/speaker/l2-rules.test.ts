/**
 * The speaker's election rules on the real testbed (MetalLB §4.2-4.3): a node whose network is
 * unavailable, or that carries the exclude-from-external-load-balancers label, does not announce;
 * with externalTrafficPolicy Local only a node with a serving endpoint does. The owner is read
 * where a client sees it: mypc's neighbour entry for the IP.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { GARP_DURATION_MS } from "../../operator/src/announcers/l2/index.ts";
import { registerEndpoints } from "../cluster/endpoints.ts";
import { l2PoolManifest } from "../cluster/l2-pool.ts";
import { captureAtClient } from "../l2/probes.ts";
import { type RunningOperator, restartSpeaker, waitReady } from "../lab/operator.ts";
import { seededTestbedDown, seededTestbedUp } from "../lab/seeded-testbed.ts";
import { nodeNamed } from "../net/topology.ts";
import {
  answerer,
  createPoolService,
  createService,
  l2Statuses,
  ok,
  until,
  untilAnswered,
  untilL2StatusNodes,
} from "./helpers.ts";

let op: RunningOperator | undefined;

async function setNetworkUnavailable(node: string, unavailable: boolean): Promise<void> {
  const now = new Date().toISOString();
  await ok([
    "patch",
    "node",
    node,
    "--subresource=status",
    "--type=strategic",
    "-p",
    JSON.stringify({
      status: {
        conditions: [
          {
            type: "NetworkUnavailable",
            status: unavailable ? "True" : "False",
            reason: unavailable ? "NoRouteCreated" : "RouteCreated",
            message: "set by the test",
            lastHeartbeatTime: now,
            lastTransitionTime: now,
          },
        ],
      },
    }),
  ]);
}

beforeAll(async () => {
  op = await seededTestbedUp();
}, 120_000);

afterAll(() => seededTestbedDown(op));

test("the control plane (exclude label) never announces; NetworkUnavailable moves the IP away and back", async () => {
  // svc1 gets 172.18.255.200; by the hash its order is worker, worker2, worker3 (control plane excluded).
  const ip = await createService("svc1", "Cluster", ["myk8s-worker", "myk8s-worker2"]);
  expect(await untilAnswered(ip, (o) => o !== undefined)).toBe("myk8s-worker");
  await setNetworkUnavailable("myk8s-worker", true);
  expect(await untilAnswered(ip, (o) => o === "myk8s-worker2")).toBe("myk8s-worker2");
  await setNetworkUnavailable("myk8s-worker", false);
  expect(await untilAnswered(ip, (o) => o === "myk8s-worker")).toBe("myk8s-worker");
}, 60_000);

test("a node labelled exclude-from-external-load-balancers stops announcing; removing the label restores it", async () => {
  const ip = await createService("svc2", "Cluster", ["myk8s-worker", "myk8s-worker2"]);
  const first = await untilAnswered(ip, (o) => o !== undefined);
  expect(first).toBeDefined();
  await ok(["label", "node", first!, "node.kubernetes.io/exclude-from-external-load-balancers="]);
  const moved = await untilAnswered(ip, (o) => o !== undefined && o !== first);
  expect(moved).not.toBe(first);
  expect(moved).not.toBe("myk8s-control-plane");
  await ok(["label", "node", first!, "node.kubernetes.io/exclude-from-external-load-balancers-"]);
  expect(await untilAnswered(ip, (o) => o === first)).toBe(first);
}, 60_000);

test("externalTrafficPolicy Local: only the node with a serving endpoint announces; none when no endpoint serves", async () => {
  const ip = await createService("local", "Local", ["myk8s-worker3"]);
  expect(await untilAnswered(ip, (o) => o === "myk8s-worker3")).toBe("myk8s-worker3");
  await registerEndpoints("default", "local", [nodeNamed("myk8s-worker3")], { ready: false });
  expect(await untilAnswered(ip, (o) => o === undefined)).toBeUndefined();
  await registerEndpoints("default", "local", [nodeNamed("myk8s-worker2")]);
  expect(await untilAnswered(ip, (o) => o === "myk8s-worker2")).toBe("myk8s-worker2");
  // The ServiceL2Status follows the announcing node.
  expect(await untilL2StatusNodes("local", "myk8s-worker2")).toBe("myk8s-worker2");
}, 60_000);

/** Messages of a Service's Events with this reason. */
async function eventMessages(service: string, reason: string): Promise<string[]> {
  const text = await ok([
    "get",
    "events",
    "-n",
    "default",
    "--field-selector",
    `involvedObject.name=${service},reason=${reason}`,
    "-o",
    'jsonpath={range .items[*]}{.type} {.source.host}: {.message}{"\\n"}{end}',
  ]);
  return text.trim().split("\n").filter(Boolean);
}

test("L2Advertisement.interfaces: a name no node has gives MetalLB's announceFailed and no answer; eth0 answers; deleting the Service removes its ServiceL2Status", async () => {
  const advertisement = (interfaces: string[]) =>
    l2PoolManifest("ifpool", ["172.18.254.10-172.18.254.12"], interfaces);
  await ok(["apply", "-f", "-"], advertisement(["nosuch0"]));
  await registerEndpoints("default", "ifsvc", ["myk8s-worker", "myk8s-worker2"].map(nodeNamed));
  const ip = await createPoolService("ifsvc", "ifpool");
  expect(ip).toBe("172.18.254.10");
  const failed = await until(
    () => eventMessages("ifsvc", "announceFailed"),
    (m) => m.length > 0,
    15_000,
  );
  expect(failed).toHaveLength(1);
  expect(failed[0]).toMatch(
    /^Warning (myk8s-worker[23]?): the interfaces specified by LB IP "172\.18\.254\.10" doesn't exist in assigned node "\1" with protocol "layer2"$/,
  );
  expect(await answerer(ip)).toBeUndefined();

  // The same advertisement on the nodes' real interface: answered, no new warning.
  await ok(["apply", "-f", "-"], advertisement(["eth0"]));
  const owner = await untilAnswered(ip, (o) => o !== undefined);
  expect(["myk8s-worker", "myk8s-worker2", "myk8s-worker3"]).toContain(owner ?? "none");
  expect(await eventMessages("ifsvc", "announceFailed")).toHaveLength(1);
  expect(
    await until(
      () => l2Statuses("ifsvc"),
      (v) => v === `${owner} eth0`,
      15_000,
    ),
  ).toBe(`${owner} eth0`);

  await ok(["delete", "svc", "ifsvc"]);
  expect(
    await until(
      () => l2Statuses("ifsvc"),
      (v) => v === "",
      15_000,
    ),
  ).toBe("");
  expect(await untilAnswered(ip, (o) => o === undefined)).toBeUndefined();
  await ok(["delete", "l2advertisement", "ifpool", "-n", "metallb-system"]);
  await ok(["delete", "ipaddresspool", "ifpool", "-n", "metallb-system"]);
}, 90_000);

test("the speakers run the image's bundle, with membership in its own Worker", async () => {
  // The lab runs deploy/build.ts's output, as the image does; a bundle that lost the membership
  // Worker still works but logs that it beats from the main thread (membership.ts).
  for (const [node, pod] of op!.speakers) {
    const log = pod.stdout() + pod.stderr();
    expect({ node, joined: log.includes("member joined") }).toEqual({ node, joined: true });
    expect({ node, fallback: log.includes("membership worker unavailable") }).toEqual({
      node,
      fallback: false,
    });
  }
});

test("failback is revertive by default: the failed owner's speaker returns and takes its IP back", async () => {
  // The counterpart of non-revertive.test.ts, same steps: MetalLB's default, and ours.
  const ip = await createService("revert", "Cluster", ["myk8s-worker", "myk8s-worker2", "myk8s-worker3"]);
  const owner = await untilAnswered(ip, (o) => o !== undefined);
  expect(owner).toBeDefined();

  await op!.speakers.get(owner!)!.stop("SIGKILL", 0);
  const successor = await untilAnswered(ip, (o) => o !== undefined && o !== owner);
  expect(successor).toBeDefined();
  expect(successor).not.toBe(owner);

  await restartSpeaker(op!, owner!);
  expect(await waitReady(owner!)).toBe(true);
  expect(await untilAnswered(ip, (o) => o === owner)).toBe(owner);
  expect(await untilL2StatusNodes("revert", owner!)).toBe(owner!);
}, 90_000);

test("by default no periodic gratuitous ARP: once the takeover burst is over, the owner is quiet", async () => {
  // The counterpart of periodic-gratuitous.test.ts (METALBUN_L2_GRATUITOUS_INTERVAL unset here).
  const ip = await createService("quiet", "Cluster", ["myk8s-worker", "myk8s-worker2", "myk8s-worker3"]);
  const owner = await untilAnswered(ip, (o) => o !== undefined);
  expect(owner).toBeDefined();
  await Bun.sleep(GARP_DURATION_MS + 1_500);
  const escaped = ip.replaceAll(".", "\\.");
  const lines = await captureAtClient(`arp and ether src ${nodeNamed(owner!).mac}`, () => Bun.sleep(4_500));
  expect(lines.filter((l) => new RegExp(`who-has ${escaped}\\b.* tell ${escaped}\\b`).test(l))).toEqual([]);
}, 60_000);
