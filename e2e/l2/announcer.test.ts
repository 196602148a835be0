/**
 * The L2 announcer with real packets in the testbed: an announcer process in a node namespace
 * (AF_PACKET sockets through bun:ffi, the receive Worker), and mypc asking with the usual tools.
 * Prints the measured reply latencies and takeover times.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { DEFAULT_EXCLUDE_PATTERNS } from "../../operator/src/announcers/l2/index.ts";
import { until } from "../bench/report.ts";
import { netDown, netDownOnSignals, netUp } from "../net/testbed.ts";
import { CLIENT, nodeNamed } from "../net/topology.ts";
import {
  type AnnouncerProcess,
  arping,
  captureAtClient,
  forgetNeighbours,
  ndisc6,
  neighbour,
  replyLatencies,
  resolveFromClient,
  startAnnouncer,
  summary,
  VIP4,
  VIP6,
  watchNeighbour,
} from "./probes.ts";

const WORKER = nodeNamed("myk8s-worker");
const WORKER2 = nodeNamed("myk8s-worker2");
const upper = (mac: string) => mac.toUpperCase();

let running: AnnouncerProcess[] = [];

async function start(node: string, config: Parameters<typeof startAnnouncer>[1]): Promise<AnnouncerProcess> {
  const a = await startAnnouncer(node, config);
  running.push(a);
  return a;
}

/** Stops an announcer and checks it left nothing behind: it exits by itself, promptly, sockets closed. */
async function stopClean(a: AnnouncerProcess): Promise<number> {
  running = running.filter((r) => r !== a);
  const { exitMs, exitCode, stopped } = await a.stop();
  expect(exitCode).toBe(0);
  expect(stopped.socketsAfter).toBe(stopped.socketsBefore);
  expect(stopped.stats.pendingTimers).toBe(0);
  expect(stopped.stats.interfaces).toEqual([]);
  expect(exitMs).toBeLessThan(2000);
  return exitMs;
}

beforeAll(async () => {
  netDownOnSignals();
  await netUp();
  await forgetNeighbours();
}, 600_000);

afterAll(async () => {
  for (const a of running) await a.stop().catch(() => {});
  await netDown();
}, 60_000);

describe("L2 announcer on real links", () => {
  let worker: AnnouncerProcess;

  test("arping from mypc gets 3 replies from myk8s-worker's MAC; mypc's neighbour table shows it", async () => {
    worker = await start(WORKER.name, { ips: [VIP4, VIP6] });
    expect(worker.readyStats.interfaces).toEqual([{ name: "eth0", arp: true, ndp: true }]);
    expect(worker.readyStats.skippedInterfaces).toEqual({ lo: "excluded" });
    // The receive loop's Worker names its thread, so top -H tells it from the heartbeats. The
    // Worker starts beside the announcer's ready, so its name may come a moment after.
    const threads = await until(
      async () => worker.threads(),
      (names) => names.includes("l2-receive"),
      5_000,
      20,
    );
    expect(threads).toContain("l2-receive");
    const result = await arping(VIP4, ["-c", "3"]);
    expect(result.received).toBe(3);
    expect(result.macs).toEqual([upper(WORKER.mac), upper(WORKER.mac), upper(WORKER.mac)]);
    // arping reads replies itself; the kernel's table fills when mypc's own stack resolves the VIP.
    await resolveFromClient(VIP4);
    expect((await neighbour(VIP4))?.mac).toBe(WORKER.mac);
  }, 30_000);

  test("ndisc6 from mypc gets myk8s-worker's MAC for the IPv6 VIP; mypc's neighbour table shows it", async () => {
    expect(await ndisc6(VIP6)).toBe(upper(WORKER.mac));
    await resolveFromClient(VIP6);
    expect((await neighbour(VIP6))?.mac).toBe(WORKER.mac);
    const stats = await worker.stats();
    expect(stats.requestsReceived).toBeGreaterThanOrEqual(5);
    expect(stats.responsesSent).toBe(stats.requestsReceived);
  }, 30_000);

  test("reply latency: ARP over 100 arping probes, NA over 100 ndisc6 solicitations", async () => {
    const r = await replyLatencies(100);
    const figures = {
      arpingRttMs: summary(r.arpingRttMs),
      arpOnWireMs: summary(r.arpOnWireMs),
      naOnWireMs: summary(r.naOnWireMs),
    };
    console.log(`l2 reply latency: ${JSON.stringify(figures)}`);
    expect(r.arpingRttMs).toHaveLength(100);
    expect(r.ndisc6Answered).toBe(100);
    expect(new Set(r.macs)).toEqual(new Set([upper(WORKER.mac)]));
    expect(r.naOnWireMs.length).toBeGreaterThanOrEqual(100);
    // Generous bounds: CI shares 2 cores with an apiserver; typical figures are ~1 ms.
    expect(figures.arpingRttMs.p50).toBeLessThan(20);
    expect(figures.naOnWireMs.p50).toBeLessThan(20);
  }, 120_000);

  test("moving the VIPs to myk8s-worker2 updates mypc's entries by gratuitous ARP/NA, mypc asking nothing", async () => {
    const exitMs = await stopClean(worker);
    // mypc still has both VIPs at myk8s-worker's MAC.
    expect((await neighbour(VIP4))?.mac).toBe(WORKER.mac);
    expect((await neighbour(VIP6))?.mac).toBe(WORKER.mac);
    const watch4 = watchNeighbour(VIP4, WORKER2.mac);
    const watch6 = watchNeighbour(VIP6, WORKER2.mac);
    await Bun.sleep(100); // let `ip monitor` subscribe
    let spawnedAt = 0;
    let worker2: AnnouncerProcess | undefined;
    let seen: number[] = [];
    // What mypc sends meanwhile: no ARP request, no Neighbor Solicitation.
    const asked = await captureAtClient(
      `ether src ${CLIENT.mac} and (arp or (icmp6 and ip6[40] == 135))`,
      async () => {
        spawnedAt = Date.now();
        worker2 = await start(WORKER2.name, { ips: [VIP4, VIP6] });
        const timeout = Bun.sleep(3000).then(() => Number.NaN);
        seen = await Promise.all([
          Promise.race([watch4.seen, timeout]),
          Promise.race([watch6.seen, timeout]),
        ]);
      },
    );
    expect(asked).toEqual([]);
    const [seen4 = Number.NaN, seen6 = Number.NaN] = seen;
    watch4.close();
    watch6.close();
    const figures = {
      stopToExitMs: Math.round(exitMs),
      ipv4UpdateAfterAnnounceMs: seen4 - worker2!.readyAt,
      ipv6UpdateAfterAnnounceMs: seen6 - worker2!.readyAt,
      processStartToAnnounceMs: worker2!.readyAt - spawnedAt,
    };
    console.log(`l2 takeover: ${JSON.stringify(figures)}`);
    expect(figures.ipv4UpdateAfterAnnounceMs).toBeLessThan(100);
    expect(figures.ipv6UpdateAfterAnnounceMs).toBeLessThan(100);
    expect((await neighbour(VIP4))?.mac).toBe(WORKER2.mac);
    expect((await neighbour(VIP6))?.mac).toBe(WORKER2.mac);
    expect((await arping(VIP4, ["-f", "-c", "1", "-w", "1"])).macs).toEqual([upper(WORKER2.mac)]);
    await stopClean(worker2!);
  }, 60_000);

  test("an excluded interface gets no answer", async () => {
    const a = await start(WORKER.name, {
      ips: [VIP4, VIP6],
      exclude: [...DEFAULT_EXCLUDE_PATTERNS, "^eth0$"],
    });
    expect(a.readyStats.interfaces).toEqual([]);
    expect(a.readyStats.skippedInterfaces).toEqual({ eth0: "excluded", lo: "excluded" });
    expect((await arping(VIP4, ["-c", "2", "-w", "2"])).received).toBe(0);
    expect(await ndisc6(VIP6, ["-r", "1", "-w", "500"])).toBeUndefined();
    await stopClean(a);
  }, 30_000);

  test("an interfaces list without eth0 (L2Advertisement.interfaces) gets no answer: notMatchInterface", async () => {
    const a = await start(WORKER.name, { ips: [VIP4, VIP6], interfaces: ["eth1"] });
    expect(a.readyStats.interfaces).toEqual([{ name: "eth0", arp: true, ndp: true }]);
    expect(a.readyStats.gratuitousSent).toBe(0);
    expect((await arping(VIP4, ["-c", "2", "-w", "2"])).received).toBe(0);
    expect(await ndisc6(VIP6, ["-r", "1", "-w", "500"])).toBeUndefined();
    const stats = await a.stats();
    // 2 ARP requests; the NS never even arrives: no solicited-node group is joined on eth0.
    expect(stats.dropped.notMatchInterface).toBeGreaterThanOrEqual(2);
    expect(stats.responsesSent).toBe(0);
    await stopClean(a);
  }, 30_000);
});
