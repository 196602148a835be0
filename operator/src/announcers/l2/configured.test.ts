/**
 * L2Announcer opens its sockets (and so its receive Worker) only while Layer 2 is configured: a
 * BGP-only speaker holds none, and a Layer 2 speaker holds them whether or not it owns an IP.
 */
import { describe, expect, test } from "bun:test";
import { GARP_INTERVAL_MS, L2Announcer, type L2Desired, RESCAN_INTERVAL_MS } from "./announcer.ts";
import { FakeLinkSocketFactory } from "./fake-link.ts";
import { ethernetInterface, ManualScheduler } from "./testing.ts";

function setup() {
  const factories: FakeLinkSocketFactory[] = [];
  const scheduler = new ManualScheduler();
  const logs: string[] = [];
  const logFn = (fields: Record<string, unknown>, msg: string) =>
    logs.push(`${msg}${fields.reason === undefined ? "" : `: ${fields.reason}`}`);
  const announcer = new L2Announcer({
    configured: false,
    excludeInterfaces: [],
    linkSocketFactory: () => {
      const f = new FakeLinkSocketFactory();
      factories.push(f);
      return f;
    },
    listInterfaces: () => [ethernetInterface("eth0", 2), ethernetInterface("eth1", 3)],
    scheduler,
    log: { debug: logFn, info: logFn, warn: logFn, error: logFn },
  });
  const statuses: (readonly string[] | undefined)[] = [];
  announcer.status$.subscribe((s) => statuses.push(s));
  const sockets = (): string[] => factories.flatMap((f) => f.openSockets());
  const socketLogs = () => logs.filter((l) => l.startsWith("layer 2 sockets"));
  return { announcer, factories, scheduler, statuses, sockets, socketLogs };
}

const desired = (configured: boolean, ips: string[] = []): L2Desired => ({
  configured,
  entries: ips.map((ip) => ({ ip, interfaces: [], services: ["default/svc"] })),
  excludeInterfaces: [],
  reannounce: 0,
});

describe("L2Announcer, configured or not", () => {
  test("not configured: no factory (so no Worker), no socket, no rescan, interfaces unknown", async () => {
    const { announcer, factories, scheduler, statuses, socketLogs } = setup();
    await announcer.start();
    announcer.setDesired(desired(false));
    scheduler.advance(3 * RESCAN_INTERVAL_MS);
    announcer.rescanInterfaces();
    expect(factories).toHaveLength(0);
    expect(announcer.stats().socketsOpen).toBe(false);
    expect(announcer.stats().pendingTimers).toBe(0);
    expect(statuses).toEqual([undefined]);
    expect(socketLogs()).toEqual([]);
    await announcer.stop();
  });

  test("configured with nothing owned: every socket open at once, so a takeover answers at once", async () => {
    const { announcer, factories, statuses, sockets, socketLogs } = setup();
    await announcer.start();
    announcer.setDesired(desired(true));
    expect(sockets()).toEqual(["eth0/arp", "eth0/ndp", "eth1/arp", "eth1/ndp"]);
    expect(statuses.at(-1)).toEqual(["eth0", "eth1"]);
    expect(announcer.stats().socketsOpen).toBe(true);
    announcer.setDesired(desired(true));
    expect(socketLogs()).toEqual(["layer 2 sockets opened: an L2Advertisement is configured"]);
    // The takeover: the burst goes out on the sockets already open, no new one.
    announcer.setDesired(desired(true, ["172.18.255.200"]));
    expect(factories[0]!.takeSent()).toHaveLength(4);
    expect(factories[0]!.sockets).toHaveLength(4);
    expect(factories).toHaveLength(1);
    await announcer.stop();
  });

  test("the last L2Advertisement gone: sockets closed, factory closed, bursts and rescans ended", async () => {
    const { announcer, factories, scheduler, statuses, sockets, socketLogs } = setup();
    await announcer.start();
    announcer.setDesired(desired(true, ["172.18.255.200"]));
    announcer.setDesired(desired(false));
    expect(sockets()).toEqual([]);
    expect(factories[0]!.factoryClosed).toBe(true);
    expect(statuses.at(-1)).toBeUndefined();
    expect(announcer.stats()).toMatchObject({ socketsOpen: false, activeBursts: 0, pendingTimers: 0 });
    expect(socketLogs()).toEqual([
      "layer 2 sockets opened: an L2Advertisement is configured",
      "layer 2 sockets closed: no L2Advertisement is configured",
    ]);
    factories[0]!.takeSent();
    scheduler.advance(RESCAN_INTERVAL_MS + GARP_INTERVAL_MS);
    expect(factories[0]!.takeSent()).toEqual([]);
    await announcer.stop();
  });

  test("configured again: a new factory, the sockets reopened, the IPs it still owns announced", async () => {
    const { announcer, factories, statuses, sockets } = setup();
    await announcer.start();
    announcer.setDesired(desired(true, ["172.18.255.200"]));
    announcer.setDesired(desired(false, ["172.18.255.200"]));
    announcer.setDesired(desired(true, ["172.18.255.200"]));
    expect(factories).toHaveLength(2);
    expect(factories[1]!.openSockets()).toEqual(sockets());
    expect(sockets()).toHaveLength(4);
    expect(factories[1]!.takeSent()).toHaveLength(4);
    expect(statuses.at(-1)).toEqual(["eth0", "eth1"]);
    await announcer.stop();
    expect(factories.every((f) => f.factoryClosed)).toBe(true);
  });

  test("told before start(): start() opens the sockets, or does not", async () => {
    const on = setup();
    on.announcer.setDesired(desired(true));
    expect(on.factories).toHaveLength(0);
    await on.announcer.start();
    expect(on.sockets()).toHaveLength(4);
    await on.announcer.stop();
    const off = setup();
    off.announcer.setDesired(desired(false));
    await off.announcer.start();
    expect(off.factories).toHaveLength(0);
    await off.announcer.stop();
  });

  test("stop() waits for a factory closed earlier", async () => {
    const { announcer, factories } = setup();
    await announcer.start();
    announcer.setDesired(desired(true));
    let release = () => {};
    const slow = factories[0]!;
    const close = slow.close.bind(slow);
    slow.close = () => new Promise<void>((resolve) => (release = () => void close().then(resolve)));
    announcer.setDesired(desired(false));
    let stopped = false;
    const stopping = announcer.stop().then(() => (stopped = true));
    await Bun.sleep(1);
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(stopped).toBe(true);
  });
});
