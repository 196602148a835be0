/**
 * The real speakers (the DaemonSet's pods) against a scripted, misbehaving BGP peer in the `router` namespace
 * (bad-peer.ts, built on our codec). Only myk8s-worker peers with it, so every connection the peer
 * logs is that speaker's. Each test restarts the peer in another mode and reads what it received.
 *
 * The OpenSent hold timer is RFC 4271's suggested 4 minutes (fsm.ts OPEN_SENT_HOLD_S) and the
 * BGPPeer's holdTime does not shorten it, so a peer that never sends its OPEN is not timed out
 * within a test: we check the speaker waits quietly and redials once the peer closes.
 */
import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { execIn, type SpawnedIn, spawnIn } from "../net/exec.ts";
import { logFiles, stopProcess } from "../net/procs.ts";
import { nodeNamed, ROUTER } from "../net/topology.ts";
import { type RunningSpeaker, runningSpeaker, stillRunning } from "../nodes/speaker-pods.ts";
import { waitFor } from "../peers/wait.ts";
import type { BadPeerEvent, BadPeerMode, ReceivedMessage } from "./bad-peer.ts";
import { PEER_ASN } from "./bad-peer-messages.ts";
import { bgpTestbedWith, type RouterTestbed, routerTestbedDown } from "./router-testbed.ts";
import { aBgpAdvertisement, aBgpPeer, apply, ok } from "./support.ts";

const SCRIPT = join(import.meta.dir, "bad-peer.ts");
const WORKER = nodeNamed("myk8s-worker");
const PEER_LABEL = `${ROUTER.ipv4}:179`;

let bed: RouterTestbed<{ stop(): Promise<void> }> | undefined;
/** WORKER's speaker as the testbed started it. */
let speaker: RunningSpeaker | undefined;
let peer: SpawnedIn | undefined;
let vip = "";

function startPeer(mode: BadPeerMode): SpawnedIn {
  const key = `router.bad-peer.${mode}`;
  rmSync(logFiles(key).stdoutFile, { force: true });
  peer = spawnIn(ROUTER.name, [process.execPath, SCRIPT, mode], { key });
  return peer;
}

function events(): BadPeerEvent[] {
  if (!peer) return [];
  return readFileSync(peer.record.stdoutFile, "utf8")
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as BadPeerEvent);
}

function received(conn?: number): ReceivedMessage[] {
  return events().flatMap((e) =>
    e.event === "received" && (conn === undefined || e.conn === conn) ? [e.message] : [],
  );
}

const accepted = () => events().filter((e) => e.event === "accepted");

function notifications(conn?: number): string[] {
  return received(conn)
    .filter((m) => m.type === "notification")
    .map((m) => `${m.code}/${m.subcode}`);
}

/** The speaker on WORKER, started with the testbed, still runs: no crash, no restart. */
async function speakerAlive(): Promise<boolean> {
  return stillRunning(speaker!);
}

async function metric(name: string): Promise<number> {
  const r = await execIn(WORKER.name, ["curl", "-s", "-m", "2", `http://${WORKER.ipv4}:9120/metrics`]);
  const line = r.stdout.split("\n").find((l) => l.startsWith(`${name}{peer="${PEER_LABEL}"}`));
  return line === undefined ? 0 : Number(line.split(" ").at(-1));
}

/** Waits until the peer received an UPDATE announcing the Service's IP on connection `conn`. */
async function routeArrives(conn: number, ip = vip): Promise<void> {
  await waitFor(async () => (received(conn).some((m) => m.nlri?.includes(`${ip}/32`)) ? true : undefined), {
    what: `${ip}/32 announced on connection ${conn}`,
    timeoutMs: 15_000,
    describe: async () => JSON.stringify(received(conn)),
  });
}

/** A Cluster Service served on every worker; returns its IP. */
async function createService(name: string): Promise<string> {
  await apply({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: "default" },
    spec: { type: "LoadBalancer", selector: { app: "webpod" }, ports: [{ port: 80, targetPort: 80 }] },
  });
  return waitFor(
    async () =>
      (await ok(["get", "svc", name, "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}"])).trim() ||
      undefined,
    { what: `an IP for ${name}` },
  );
}

beforeAll(async () => {
  bed = await bgpTestbedWith(async () => ({ stop: async () => undefined }));
  speaker = await runningSpeaker(WORKER.name);
  await apply(
    aBgpPeer("bad", {
      peerASN: PEER_ASN,
      connectTime: "2s",
      nodeSelectors: [{ matchLabels: { "kubernetes.io/hostname": WORKER.name } }],
    }),
    aBgpAdvertisement("bgp-adv"),
  );
  vip = await createService("svc");
}, 900_000);

afterEach(async () => {
  if (peer) await stopProcess(peer.record, "SIGKILL");
  peer = undefined;
});

afterAll(async () => {
  if (peer) await stopProcess(peer.record, "SIGKILL");
  await routerTestbedDown(bed);
}, 120_000);

test("unknown capabilities and an unknown optional transitive attribute: the session stays, our route arrives", async () => {
  startPeer("unknown-stuff");
  await routeArrives(1);
  await waitFor(
    async () =>
      events().some((e) => e.event === "sent" && e.what === "update-unknown-attribute") ? true : undefined,
    {
      what: "the UPDATE with attribute 240 sent",
    },
  );
  // Three KEEPALIVE rounds (1 s each) after it: the speaker kept the session.
  await Bun.sleep(3_500);
  expect(notifications()).toEqual([]);
  expect(accepted().length).toBe(1);
  expect(events().some((e) => e.event === "closed")).toBe(false);
  expect(received(1).filter((m) => m.type === "keepalive").length).toBeGreaterThanOrEqual(4);
  expect(await metric("metallb_bgp_session_up")).toBe(1);
  expect(await metric("metallb_bgp_updates_total_received")).toBeGreaterThanOrEqual(1);
  // A Service created afterwards still reaches the peer on the same connection.
  await routeArrives(1, await createService("svc2"));
  expect(accepted().length).toBe(1);
  expect(notifications()).toEqual([]);
}, 60_000);

test("ORIGIN 7 is treat-as-withdraw (RFC 7606 §7.1): no NOTIFICATION, the session stays", async () => {
  startPeer("bad-origin");
  await routeArrives(1);
  await Bun.sleep(3_500);
  expect(events().some((e) => e.event === "sent" && e.what === "update-bad-origin")).toBe(true);
  expect(notifications()).toEqual([]);
  expect(accepted().length).toBe(1);
  expect(await metric("metallb_bgp_session_up")).toBe(1);
}, 60_000);

for (const [mode, code, why] of [
  ["attributes-overrun", "3/1", "Malformed Attribute List"],
  ["nlri-overrun", "3/10", "Invalid Network Field"],
] as const) {
  test(`a malformed UPDATE (${mode}): NOTIFICATION ${code} (${why}), then a new session; the pod lives and counts it`, async () => {
    const sentBefore = await metric("metallb_bgp_notifications_sent");
    startPeer(mode);
    await waitFor(async () => (notifications(1).length > 0 ? true : undefined), {
      what: "a NOTIFICATION on connection 1",
      describe: async () => JSON.stringify(events()),
    });
    expect(notifications(1)).toEqual([code]);
    // The speaker redials (backoff from 1 s) and the route arrives again on the new connection.
    await waitFor(async () => (accepted().length >= 2 ? true : undefined), {
      what: "a second connection",
      timeoutMs: 10_000,
    });
    await routeArrives(2);
    expect(await speakerAlive()).toBe(true);
    expect(await metric("metallb_bgp_notifications_sent")).toBeGreaterThanOrEqual(sentBefore + 1);
  }, 60_000);
}

test("ROUTE-REFRESH: the peer gets the table again after its request", async () => {
  startPeer("route-refresh");
  await waitFor(
    async () => (events().some((e) => e.event === "sent" && e.what === "route-refresh") ? true : undefined),
    {
      what: "the ROUTE-REFRESH sent after our End-of-RIB",
      timeoutMs: 15_000,
    },
  );
  const log = events();
  const refreshAt = log.findIndex((e) => e.event === "sent" && e.what === "route-refresh");
  await waitFor(
    async () =>
      events()
        .slice(refreshAt)
        .some((e) => e.event === "received" && e.message.nlri?.includes(`${vip}/32`))
        ? true
        : undefined,
    {
      what: "the Service's route again after the ROUTE-REFRESH",
      describe: async () => JSON.stringify(events().slice(refreshAt)),
    },
  );
  expect(notifications()).toEqual([]);
  expect(accepted().length).toBe(1);
}, 60_000);

test("an OPEN with hold time 1: NOTIFICATION 2/6 (Unacceptable Hold Time, RFC 4271 §6.2)", async () => {
  startPeer("hold-1");
  await waitFor(async () => (notifications(1).length > 0 ? true : undefined), { what: "a NOTIFICATION" });
  expect(notifications(1)).toEqual(["2/6"]);
  // It keeps trying, each time refused the same way.
  await waitFor(async () => (notifications(2).length > 0 ? true : undefined), {
    what: "the second try refused",
    timeoutMs: 10_000,
  });
  expect(notifications(2)).toEqual(["2/6"]);
  expect(await metric("metallb_bgp_session_up")).toBe(0);
  expect(await speakerAlive()).toBe(true);
}, 60_000);

test("a peer that accepts TCP but never sends its OPEN: our OPEN, then silence (OpenSent hold 240 s); a redial when it closes", async () => {
  startPeer("silent");
  await waitFor(async () => (received(1).length > 0 ? true : undefined), { what: "our OPEN" });
  // The peer closes after 6 s; until then the speaker sends nothing but its OPEN.
  await waitFor(async () => (events().some((e) => e.event === "closed") ? true : undefined), {
    what: "the peer closing",
    timeoutMs: 10_000,
  });
  expect(received(1).map((m) => m.type)).toEqual(["open"]);
  expect(received(1)[0]!.holdTimeS).toBe(3);
  await waitFor(async () => (accepted().length >= 2 ? true : undefined), {
    what: "a redial",
    timeoutMs: 10_000,
  });
  await waitFor(async () => (received(2).length > 0 ? true : undefined), { what: "our OPEN again" });
  expect(received(2).map((m) => m.type)).toEqual(["open"]);
  expect(await speakerAlive()).toBe(true);
}, 60_000);

test("a peer that closes right after our OPEN: redials back off (1 s doubling, capped by connectTime 2 s)", async () => {
  startPeer("close-after-open");
  await Bun.sleep(12_000);
  const times = accepted().map((e) => e.t);
  const gaps = times.slice(1).map((t, i) => t - times[i]!);
  // 1 s, then 2 s (the cap), each scaled into [75 %, 100 %) by jitter: at most 1 + 12 / 1.5 tries.
  expect(times.length).toBeGreaterThanOrEqual(4);
  expect(times.length).toBeLessThanOrEqual(9);
  for (const gap of gaps) expect(gap).toBeGreaterThan(700);
  for (const gap of gaps.slice(1)) expect(gap).toBeGreaterThan(1_400);
  for (const gap of gaps) expect(gap).toBeLessThan(3_000);
  expect(received().every((m) => m.type === "open")).toBe(true);
  expect(await speakerAlive()).toBe(true);
}, 60_000);
