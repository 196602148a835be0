/**
 * L2Announcer against the fake link layer and virtual time: what it answers, what it drops and why,
 * the gratuitous burst schedule, multicast groups, interface rescans, and a clean stop.
 */
import { describe, expect, test } from "bun:test";
import {
  GARP_DURATION_MS,
  GARP_INTERVAL_MS,
  L2Announcer,
  type L2AnnouncerOptions,
  type L2Entry,
  RESCAN_INTERVAL_MS,
} from "./announcer.ts";
import { ARP_REPLY, ARP_REQUEST, decodeArpFrame, encodeArpFrame } from "./arp.ts";
import { BROADCAST_MAC, formatMac, ZERO_MAC } from "./ethernet.ts";
import { FakeLinkSocketFactory, type SentFrame } from "./fake-link.ts";
import { IFF_BROADCAST, type NetInterface } from "./interfaces.ts";
import {
  ALL_NODES_MULTICAST,
  decodeNdpFrame,
  encodeNdpFrame,
  ipv6MulticastMac,
  NA_FLAG_OVERRIDE,
  NA_FLAG_SOLICITED,
  solicitedNodeMulticast,
} from "./ndp.ts";
import { ethernetInterface, fromHex, ManualScheduler, mac, toHex } from "./testing.ts";

const MYPC = mac("02:42:ac:12:00:64");
const MYPC_IP = new Uint8Array([172, 18, 0, 100]);
const MYPC_LL = fromHex("fe80 0000 0000 0000 0042 acff fe12 0064");
const VIP4 = "172.18.255.200";
const VIP6 = "fc00:f853:ccd:e793::c8";
const VIP4_BYTES = new Uint8Array([172, 18, 255, 200]);
const VIP6_BYTES = fromHex("fc00 f853 0ccd e793 0000 0000 0000 00c8");

function setup(
  interfaces: NetInterface[] = [ethernetInterface("eth0", 2), ethernetInterface("eth1", 3)],
  extra: Partial<L2AnnouncerOptions> = {},
) {
  const link = new FakeLinkSocketFactory();
  const scheduler = new ManualScheduler();
  const metrics = {
    requestReceived: [] as string[],
    responseSent: [] as string[],
    gratuitousSent: [] as string[],
  };
  const logs: string[] = [];
  const logFn = (level: string) => (fields: Record<string, unknown>, msg: string) =>
    logs.push(`${level} ${msg} ${JSON.stringify(fields)}`);
  const state = { interfaces };
  const announcer = new L2Announcer({
    excludeInterfaces: [/^lo$/, /^docker.*/],
    linkSocketFactory: () => link,
    listInterfaces: () => state.interfaces,
    scheduler,
    log: { debug: logFn("debug"), info: logFn("info"), warn: logFn("warn"), error: logFn("error") },
    metrics: {
      requestReceived: (ip) => metrics.requestReceived.push(ip),
      responseSent: (ip) => metrics.responseSent.push(ip),
      gratuitousSent: (ip) => metrics.gratuitousSent.push(ip),
    },
    ...extra,
  });
  return { announcer, link, scheduler, metrics, logs, state };
}

const entry = (ip: string, interfaces: string[] = [], services = ["default/svc"]): L2Entry => ({
  ip,
  interfaces,
  services,
});

function arpRequest(
  target: Uint8Array,
  ethDst: Uint8Array = BROADCAST_MAC,
  operation = ARP_REQUEST,
): Uint8Array {
  return encodeArpFrame({
    ethDst,
    ethSrc: MYPC,
    operation,
    senderMac: MYPC,
    senderIp: MYPC_IP,
    targetMac: ZERO_MAC,
    targetIp: target,
  });
}

function neighborSolicitation(target: Uint8Array, withSourceLL = true): Uint8Array {
  const group = solicitedNodeMulticast(target);
  return encodeNdpFrame({
    ethDst: ipv6MulticastMac(group),
    ethSrc: MYPC,
    srcIp: withSourceLL ? MYPC_LL : new Uint8Array(16),
    dstIp: group,
    kind: "ns",
    target,
    linkLayer: withSourceLL ? MYPC : undefined,
  });
}

/** Sent frames summarised as "iface:arp-request/arp-reply/na-unsolicited/na-solicited". */
function describeSent(sent: SentFrame[]): string[] {
  return sent.map((s) => {
    if (s.protocol === "arp") {
      const d = decodeArpFrame(s.frame);
      if (!d.ok) return `${s.iface}:bad`;
      return `${s.iface}:arp-${d.value.operation === ARP_REQUEST ? "request" : "reply"}`;
    }
    const d = decodeNdpFrame(s.frame);
    if (!d.ok) return `${s.iface}:bad`;
    return `${s.iface}:na-${d.value.flags & NA_FLAG_SOLICITED ? "solicited" : "unsolicited"}`;
  });
}

describe("L2Announcer", () => {
  test("opens ARP and NDP responders on eligible interfaces only", async () => {
    const { announcer, link } = setup([
      ethernetInterface("eth0", 2),
      ethernetInterface("eth1", 3, { linkLocal: undefined }),
      ethernetInterface("eth2", 4, { flags: IFF_BROADCAST }), // down
      ethernetInterface("eth3", 5, { hasMaster: true }),
      ethernetInterface("docker0", 6),
      ethernetInterface("lo", 1, { type: 772 }),
    ]);
    await announcer.start();
    expect(link.openSockets()).toEqual(["eth0/arp", "eth0/ndp", "eth1/arp"]);
    const stats = announcer.stats();
    expect(stats.interfaces).toEqual([
      { name: "eth0", arp: true, ndp: true },
      { name: "eth1", arp: true, ndp: false },
    ]);
    expect(stats.skippedInterfaces).toEqual({
      eth2: "down",
      eth3: "enslaved",
      docker0: "excluded",
      lo: "excluded",
    });
    await announcer.stop();
  });

  test("answers ARP requests for announced IPs with the receiving interface's MAC", async () => {
    const { announcer, link, metrics } = setup();
    await announcer.start();
    announcer.setEntries([entry(VIP4)]);
    link.takeSent();
    for (const iface of ["eth0", "eth1"]) {
      link.deliver(iface, "arp", arpRequest(VIP4_BYTES));
      const [sent] = link.takeSent();
      const reply = decodeArpFrame(sent!.frame);
      if (!reply.ok) throw new Error(reply.reason);
      const ourMac = iface === "eth0" ? "02:42:ac:12:00:02" : "02:42:ac:12:00:03";
      expect(sent!.iface).toBe(iface);
      expect(reply.value.operation).toBe(ARP_REPLY);
      expect(formatMac(reply.value.ethDst)).toBe("02:42:ac:12:00:64");
      expect(formatMac(reply.value.senderMac)).toBe(ourMac);
      expect([...reply.value.senderIp]).toEqual([...VIP4_BYTES]);
      expect([...reply.value.targetIp]).toEqual([...MYPC_IP]);
    }
    // Unicast to our MAC (NUD re-validation) is answered too.
    link.deliver("eth0", "arp", arpRequest(VIP4_BYTES, mac("02:42:ac:12:00:02")));
    expect(link.takeSent()).toHaveLength(1);
    expect(metrics.requestReceived).toEqual([VIP4, VIP4, VIP4]);
    expect(metrics.responseSent).toEqual([VIP4, VIP4, VIP4]);
    await announcer.stop();
  });

  test("drops what MetalLB drops, with its reasons, and counts them", async () => {
    const { announcer, link } = setup();
    await announcer.start();
    announcer.setEntries([entry(VIP4, ["eth1"]), entry(VIP6, ["eth1"])]);
    link.takeSent();
    link.deliver("eth1", "arp", arpRequest(VIP4_BYTES, BROADCAST_MAC, ARP_REPLY)); // arpReply
    link.deliver("eth1", "arp", arpRequest(VIP4_BYTES, mac("02:42:ac:12:00:99"))); // ethernetDestination
    link.deliver("eth1", "arp", arpRequest(new Uint8Array([172, 18, 255, 201]))); // announceIP
    link.deliver("eth0", "arp", arpRequest(VIP4_BYTES)); // notMatchInterface
    link.deliver("eth1", "arp", arpRequest(VIP4_BYTES).subarray(0, 30)); // truncated
    link.deliver("eth0", "ndp", neighborSolicitation(VIP6_BYTES)); // notMatchInterface
    link.deliver("eth1", "ndp", neighborSolicitation(VIP6_BYTES, false)); // noSourceLL (DAD)
    const na = encodeNdpFrame({
      ethDst: ipv6MulticastMac(ALL_NODES_MULTICAST),
      ethSrc: MYPC,
      srcIp: MYPC_LL,
      dstIp: ALL_NODES_MULTICAST,
      kind: "na",
      flags: NA_FLAG_OVERRIDE,
      target: VIP6_BYTES,
      linkLayer: MYPC,
    });
    link.deliver("eth1", "ndp", na); // messageType
    expect(link.takeSent()).toEqual([]);
    const { dropped, requestsReceived, responsesSent } = announcer.stats();
    expect(requestsReceived).toBe(0);
    expect(responsesSent).toBe(0);
    expect(Object.fromEntries(Object.entries(dropped).filter(([, n]) => n > 0))).toEqual({
      arpReply: 1,
      ethernetDestination: 1,
      announceIP: 1,
      notMatchInterface: 2,
      truncated: 1,
      noSourceLL: 1,
      messageType: 1,
    });
    await announcer.stop();
  });

  test("answers NS carrying a source link-layer option with a solicited NA (S=1, O=0)", async () => {
    const { announcer, link, metrics } = setup();
    await announcer.start();
    announcer.setEntries([entry(VIP6)]);
    link.takeSent();
    link.deliver("eth0", "ndp", neighborSolicitation(VIP6_BYTES));
    const [sent] = link.takeSent();
    const na = decodeNdpFrame(sent!.frame);
    if (!na.ok) throw new Error(na.reason);
    expect(na.value.kind).toBe("na");
    expect(na.value.flags).toBe(NA_FLAG_SOLICITED);
    expect(formatMac(na.value.ethDst)).toBe("02:42:ac:12:00:64");
    expect(toHex(na.value.dstIp)).toBe(toHex(MYPC_LL));
    expect(toHex(na.value.target)).toBe(toHex(VIP6_BYTES));
    expect(formatMac(na.value.linkLayer!)).toBe("02:42:ac:12:00:02");
    expect(metrics.responseSent).toEqual([VIP6]);
    await announcer.stop();
  });

  test("joins each IPv6 VIP's solicited-node group where it is announced, and leaves it after", async () => {
    const { announcer, link } = setup();
    await announcer.start();
    const group = toHex(solicitedNodeMulticast(VIP6_BYTES));
    announcer.setEntries([entry(VIP6, ["eth1"]), entry(VIP4)]);
    expect([...link.socket("eth0", "ndp")!.groups]).toEqual([]);
    expect([...link.socket("eth1", "ndp")!.groups]).toEqual([group]);
    // Same low 24 bits: one group for two VIPs.
    announcer.setEntries([entry(VIP6), entry("fc00:f853:ccd:e794::c8")]);
    expect([...link.socket("eth0", "ndp")!.groups]).toEqual([group]);
    expect([...link.socket("eth1", "ndp")!.groups]).toEqual([group]);
    announcer.setEntries([entry(VIP4)]);
    expect([...link.socket("eth0", "ndp")!.groups]).toEqual([]);
    expect([...link.socket("eth1", "ndp")!.groups]).toEqual([]);
    await announcer.stop();
  });

  test("gratuitous burst: at once, then every 1.1 s until 5 s after the trigger; both ARP forms", async () => {
    const { announcer, link, scheduler, metrics } = setup();
    await announcer.start();
    announcer.setEntries([entry(VIP4), entry(VIP6)]);
    const round = [
      "eth0:arp-request",
      "eth0:arp-reply",
      "eth1:arp-request",
      "eth1:arp-reply",
      "eth0:na-unsolicited",
      "eth1:na-unsolicited",
    ];
    expect(describeSent(link.takeSent())).toEqual(round);
    const times: number[] = [];
    for (let t = 0; t < 12_000; t += 100) {
      scheduler.advance(100);
      const sent = link.takeSent();
      if (sent.length > 0) {
        expect(describeSent(sent)).toEqual(round);
        times.push(scheduler.now());
      }
    }
    expect(times).toEqual([1100, 2200, 3300, 4400]);
    expect(GARP_INTERVAL_MS * 4).toBeLessThanOrEqual(GARP_DURATION_MS);
    expect(metrics.gratuitousSent.filter((ip) => ip === VIP4)).toHaveLength(5 * 4);
    expect(metrics.gratuitousSent.filter((ip) => ip === VIP6)).toHaveLength(5 * 2);
    // The unsolicited NA goes to all nodes with Override.
    announcer.setEntries([entry(VIP6, ["eth0"])]); // no new pair: no burst
    expect(link.takeSent()).toEqual([]);
    announcer.setEntries([]);
    announcer.setEntries([entry(VIP6, ["eth0"])]); // back again: a new burst
    const [na] = link.takeSent();
    const d = decodeNdpFrame(na!.frame);
    expect(d.ok && formatMac(d.value.ethDst)).toBe("33:33:00:00:00:01");
    expect(d.ok && toHex(d.value.dstIp)).toBe(toHex(ALL_NODES_MULTICAST));
    expect(d.ok && d.value.flags).toBe(NA_FLAG_OVERRIDE);
    await announcer.stop();
  });

  test("a withdrawn IP gets nothing sent and no more answers; its burst stops", async () => {
    const { announcer, link, scheduler } = setup();
    await announcer.start();
    announcer.setEntries([entry(VIP4)]);
    link.takeSent();
    scheduler.advance(1500);
    link.takeSent();
    announcer.setEntries([]);
    expect(link.takeSent()).toEqual([]);
    scheduler.advance(10_000);
    expect(link.takeSent()).toEqual([]);
    link.deliver("eth0", "arp", arpRequest(VIP4_BYTES));
    expect(link.takeSent()).toEqual([]);
    expect(announcer.stats().dropped.announceIP).toBe(1);
    expect(announcer.stats().activeBursts).toBe(0);
    await announcer.stop();
  });

  test("a new IP gets its own burst; IPs that stay get none", async () => {
    const { announcer, link, scheduler } = setup([ethernetInterface("eth0", 2)]);
    await announcer.start();
    const senders = () =>
      link.takeSent().map((s) => {
        const d = decodeArpFrame(s.frame);
        return d.ok ? d.value.senderIp.join(".") : "bad";
      });
    announcer.setEntries([entry(VIP4)]);
    expect(senders()).toEqual(["172.18.255.200", "172.18.255.200"]);
    scheduler.advance(500);
    announcer.setEntries([entry(VIP4), entry("172.18.255.201")]);
    expect(senders()).toEqual(["172.18.255.201", "172.18.255.201"]);
    scheduler.advance(700); // t = 1200: .200's second round (1100) went out, .201's is at 1600
    expect(senders()).toEqual(["172.18.255.200", "172.18.255.200"]);
    scheduler.advance(400);
    expect(senders()).toEqual(["172.18.255.201", "172.18.255.201"]);
    await announcer.stop();
  });

  test("setDesired: entries, exclude patterns and a raised reannounce count in one whole set", async () => {
    const { announcer } = setup([ethernetInterface("eth0", 2), ethernetInterface("eth1", 3)]);
    const names: (readonly string[] | undefined)[] = [];
    announcer.status$.subscribe((n) => names.push(n));
    await announcer.start();
    announcer.setDesired({
      configured: true,
      entries: [entry(VIP4)],
      excludeInterfaces: [/^eth1$/],
      reannounce: 0,
    });
    expect(announcer.stats().announcedIps).toBe(1);
    expect(names.at(-1)).toEqual(["eth0"]);
    const bursts = announcer.stats().activeBursts;
    expect(bursts).toBe(1);
    // Same set again: nothing changes, no new scan.
    const reports = names.length;
    announcer.setDesired({
      configured: true,
      entries: [entry(VIP4)],
      excludeInterfaces: [/^eth1$/],
      reannounce: 0,
    });
    expect(names.length).toBe(reports);
    announcer.setDesired({ configured: true, entries: [], excludeInterfaces: [], reannounce: 0 });
    expect(names.at(-1)).toEqual(["eth0", "eth1"]);
    expect(announcer.stats().announcedIps).toBe(0);
    await announcer.stop();
    expect(announcer.stats().pendingTimers).toBe(0);
  });

  test("announceNow restarts the burst (5 s after the last trigger)", async () => {
    const { announcer, link, scheduler } = setup([ethernetInterface("eth0", 2)]);
    await announcer.start();
    announcer.setEntries([entry(VIP4)]);
    scheduler.advance(3000);
    announcer.announceNow();
    link.takeSent();
    const times: number[] = [];
    for (let t = 0; t < 10_000; t += 100) {
      scheduler.advance(100);
      if (link.takeSent().length > 0) times.push(scheduler.now());
    }
    expect(times).toEqual([3300, 4400, 5500, 6600, 7700]);
    await announcer.stop();
  });

  test("shared IPs: entries merge (services and interfaces unite; [] means every interface)", async () => {
    const { announcer, link } = setup();
    await announcer.start();
    announcer.setEntries([entry(VIP4, ["eth0"], ["ns/a"]), entry("172.18.255.200", ["eth1"], ["ns/b"])]);
    expect(announcer.stats().announcedIps).toBe(1);
    link.takeSent();
    link.deliver("eth0", "arp", arpRequest(VIP4_BYTES));
    link.deliver("eth1", "arp", arpRequest(VIP4_BYTES));
    expect(link.takeSent()).toHaveLength(2);
    announcer.setEntries([entry(VIP4, ["eth9"], ["ns/a"]), entry(VIP4, [], ["ns/b"])]);
    link.deliver("eth1", "arp", arpRequest(VIP4_BYTES));
    expect(link.takeSent()).toHaveLength(1);
    await announcer.stop();
  });

  test("entries whose IP does not parse are ignored and reported", async () => {
    const { announcer, logs } = setup();
    await announcer.start();
    announcer.setEntries([entry("not-an-ip"), entry(VIP4), entry("300.1.1.1")]);
    expect(announcer.stats().invalidIps).toEqual(["not-an-ip", "300.1.1.1"]);
    expect(announcer.stats().announcedIps).toBe(1);
    expect(logs.some((l) => l.startsWith("warn ignoring entries"))).toBe(true);
    await announcer.stop();
  });

  test("setDesired before start: announced when the responders open", async () => {
    const { announcer, link } = setup([ethernetInterface("eth0", 2)]);
    announcer.setEntries([entry(VIP4)]);
    expect(link.takeSent()).toEqual([]);
    await announcer.start();
    expect(describeSent(link.takeSent())).toEqual(["eth0:arp-request", "eth0:arp-reply"]);
    await announcer.stop();
  });

  test("rescans every 10 s: down, back up (with a burst), excluded, MAC changed", async () => {
    const { announcer, link, scheduler, state } = setup();
    await announcer.start();
    announcer.setEntries([entry(VIP4)]);
    scheduler.advance(GARP_DURATION_MS + 2000);
    link.takeSent();
    const eth0 = ethernetInterface("eth0", 2);
    const eth1 = ethernetInterface("eth1", 3);
    state.interfaces = [eth0, { ...eth1, flags: IFF_BROADCAST }];
    scheduler.advance(RESCAN_INTERVAL_MS - (GARP_DURATION_MS + 2000));
    expect(link.openSockets()).toEqual(["eth0/arp", "eth0/ndp"]);
    state.interfaces = [eth0, eth1];
    announcer.rescanInterfaces();
    expect(link.openSockets()).toEqual(["eth0/arp", "eth0/ndp", "eth1/arp", "eth1/ndp"]);
    // eth1 is new for the VIP: burst (on every interface of the IP).
    expect(describeSent(link.takeSent())).toEqual([
      "eth0:arp-request",
      "eth0:arp-reply",
      "eth1:arp-request",
      "eth1:arp-reply",
    ]);
    announcer.setExcludeInterfaces([/^eth1$/]);
    expect(link.openSockets()).toEqual(["eth0/arp", "eth0/ndp"]);
    link.takeSent();
    state.interfaces = [{ ...eth0, mac: mac("02:00:00:00:00:01") }];
    announcer.rescanInterfaces();
    const reopened = link.socket("eth0", "arp")!;
    expect(formatMac(reopened.iface.mac)).toBe("02:00:00:00:00:01");
    expect(link.sockets.filter((s) => s.iface.name === "eth0" && s.protocol === "arp")).toHaveLength(2);
    // A new MAC: the clients must learn it now.
    const [garp] = link.takeSent();
    const d = decodeArpFrame(garp!.frame);
    expect(d.ok && formatMac(d.value.senderMac)).toBe("02:00:00:00:00:01");
    await announcer.stop();
  });

  test("reports the interfaces it answers on, once per change (for announceFailed)", async () => {
    const reported: string[][] = [];
    const { announcer, state } = setup([ethernetInterface("eth0", 2)]);
    announcer.status$.subscribe((names) => {
      if (names !== undefined) reported.push([...names]);
    });
    await announcer.start();
    announcer.rescanInterfaces();
    const eth1 = ethernetInterface("eth1", 3);
    state.interfaces = [...state.interfaces, eth1];
    announcer.rescanInterfaces();
    announcer.setExcludeInterfaces([/^eth1$/]);
    expect(reported).toEqual([["eth0"], ["eth0", "eth1"], ["eth0"]]);
    await announcer.stop();
  });

  test("a socket that cannot be opened is reported and retried on the next scan", async () => {
    const { announcer, link, scheduler, logs } = setup([ethernetInterface("eth0", 2)]);
    link.openFailures.set("eth0", "socket: EPERM (1)");
    await announcer.start();
    expect(announcer.stats().openErrors).toEqual({
      "eth0/arp": "socket: EPERM (1)",
      "eth0/ndp": "socket: EPERM (1)",
    });
    scheduler.advance(RESCAN_INTERVAL_MS);
    expect(logs.filter((l) => l.startsWith("error cannot open responder"))).toHaveLength(2); // logged once each
    link.openFailures.clear();
    scheduler.advance(RESCAN_INTERVAL_MS);
    expect(link.openSockets()).toEqual(["eth0/arp", "eth0/ndp"]);
    expect(announcer.stats().openErrors).toEqual({});
    await announcer.stop();
  });

  test("a receive error (interface gone) triggers a rescan at once", async () => {
    const { announcer, link, scheduler, state } = setup();
    await announcer.start();
    state.interfaces = [ethernetInterface("eth0", 2)];
    link.onReceiveError?.("eth1", "arp", "ENETDOWN (100)");
    link.onReceiveError?.("eth1", "ndp", "ENETDOWN (100)");
    expect(announcer.stats().pendingTimers).toBe(2); // the periodic rescan and one early rescan
    scheduler.advance(0);
    expect(link.openSockets()).toEqual(["eth0/arp", "eth0/ndp"]);
    expect(announcer.stats().receiveErrors).toBe(2);
    await announcer.stop();
  });

  test("a reply that cannot be sent counts as sendFailed", async () => {
    const { announcer, link, metrics } = setup([ethernetInterface("eth0", 2)]);
    await announcer.start();
    announcer.setEntries([entry(VIP4)]);
    link.sendFailure = () => "ENETDOWN (100)";
    link.deliver("eth0", "arp", arpRequest(VIP4_BYTES));
    expect(announcer.stats().dropped.sendFailed).toBe(1);
    expect(metrics.requestReceived).toEqual([VIP4]);
    expect(metrics.responseSent).toEqual([]);
    await announcer.stop();
  });

  test("opt-in periodic gratuitous announcements, forever", async () => {
    const { announcer, link, scheduler } = setup([ethernetInterface("eth0", 2)], {
      periodicGratuitousMs: 30_000,
    });
    await announcer.start();
    announcer.setEntries([entry(VIP4)]);
    const times: number[] = [];
    for (let t = 0; t < 100_000; t += 500) {
      if (link.takeSent().length > 0) times.push(scheduler.now());
      scheduler.advance(500);
    }
    expect(times).toEqual([0, 1500, 2500, 3500, 4500, 30_000, 60_000, 90_000]);
    await announcer.stop();
  });

  test("a handover keeps answering during the overlap but announces nothing more", async () => {
    const { announcer, link, scheduler } = setup([ethernetInterface("eth0", 2)], {
      periodicGratuitousMs: 1000,
      handoverOverlapMs: 50,
    });
    await announcer.start();
    announcer.setEntries([entry(VIP4)]);
    expect(link.takeSent().length).toBeGreaterThan(0); // the burst's first round
    const stopping = announcer.stop("handover");
    // The burst and the periodic announcements are over: a successor announced meanwhile.
    scheduler.advance(GARP_DURATION_MS);
    expect(link.takeSent()).toEqual([]);
    announcer.setEntries([entry(VIP4), entry("172.18.255.201")]);
    expect(link.takeSent()).toEqual([]);
    // A client that asks still gets its answer until the sockets close.
    link.deliver("eth0", "arp", arpRequest(VIP4_BYTES));
    expect(describeSent(link.takeSent())).toEqual(["eth0:arp-reply"]);
    await stopping;
    expect(link.factoryClosed).toBe(true);
  });

  test("stop closes every socket and timer, then ignores everything", async () => {
    const { announcer, link, scheduler } = setup(undefined, { periodicGratuitousMs: 10_000 });
    await announcer.start();
    announcer.setEntries([entry(VIP4), entry(VIP6)]);
    expect(announcer.stats().pendingTimers).toBe(3);
    const sockets = [...link.sockets];
    await announcer.stop();
    expect(sockets.every((s) => s.closed)).toBe(true);
    expect(link.factoryClosed).toBe(true);
    expect(announcer.stats().pendingTimers).toBe(0);
    expect(scheduler.pending()).toBe(0);
    link.takeSent();
    for (const s of sockets)
      s.onFrame(s.protocol === "arp" ? arpRequest(VIP4_BYTES) : neighborSolicitation(VIP6_BYTES));
    announcer.setEntries([entry("172.18.255.201")]);
    announcer.rescanInterfaces();
    scheduler.advance(60_000);
    expect(link.takeSent()).toEqual([]);
    expect(link.sockets).toHaveLength(sockets.length);
    await announcer.stop(); // idempotent
  });
});
