/**
 * BgpAnnouncer over loopback against scripted peers (testing/scripted-peer.ts), with sessions on the
 * main thread and with sessions in the BGP session Worker (the speaker's default).
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { BgpDesired, BgpRoute, BgpSessionSpec, BgpSessionStatus } from "../../domain/bgp/types.ts";
import { BgpAnnouncer, type BgpAnnouncerMetrics, type SessionFactory } from "./announcer.ts";
import type { BfdSessions } from "./bfd-peers.ts";
import { encodeNotification } from "./codec/notification.ts";
import type { NotificationMessage } from "./codec/types.ts";
import { FIRST_RETRY_MS } from "./fsm.ts";
import { PEER_CLOSE_WAIT_MS } from "./session.ts";
import { workerSessionFactory } from "./session-worker-host.ts";
import { type PeerConnection, ScriptedPeer } from "./testing/scripted-peer.ts";
import { loopbackSessionSpec } from "./testing/session-spec.ts";

const peers: ScriptedPeer[] = [];
const announcers: BgpAnnouncer[] = [];

afterEach(async () => {
  await Promise.all(announcers.splice(0).map((a) => a.stop("now")));
  for (const p of peers.splice(0)) p.stop();
});

function peer(): ScriptedPeer {
  const p = new ScriptedPeer({
    asn: 64500,
    ctx: { fourOctetASN: true, extendedMessage: false, families: ["ipv4-unicast"] },
  }).start();
  peers.push(p);
  return p;
}

function spec(name: string, port: number, overrides: Partial<BgpSessionSpec> = {}): BgpSessionSpec {
  return loopbackSessionSpec(port, { peer: name, ...overrides });
}

function route(prefix: string): BgpRoute {
  return { prefix, family: "ipv4", localPref: undefined, communities: [], largeCommunities: [] };
}

function desired(sessions: BgpSessionSpec[], routes: Record<string, BgpRoute[]>): BgpDesired {
  return { sessions, routes: new Map(Object.entries(routes)) };
}

let sessionFactory: SessionFactory | undefined;

function announcer(
  events: string[] = [],
  bfd?: BfdSessions,
  handoverGraceMs = 100,
): {
  announcer: BgpAnnouncer;
  statuses: (readonly BgpSessionStatus[])[];
} {
  const metrics: BgpAnnouncerMetrics = {
    sessionUp: (p, up) => events.push(`up ${p} ${up}`),
    updateSent: () => {},
    prefixes: () => {},
    messageSent: () => {},
    messageReceived: () => {},
    sessionRemoved: (p) => events.push(`removed ${p}`),
  };
  const a = new BgpAnnouncer({
    nodeName: "node-1",
    metrics,
    handoverGraceMs,
    sessionFactory,
    ...(bfd === undefined ? {} : { bfd }),
    sessionOptions: {
      random: () => 0,
      interfaces: () => ({
        lo: [{ address: "127.0.0.1", family: "IPv4", cidr: "127.0.0.1/8", internal: true }],
      }),
    },
  });
  announcers.push(a);
  const statuses: (readonly BgpSessionStatus[])[] = [];
  a.status$.subscribe((s) => statuses.push(s));
  return { announcer: a, statuses };
}

const notifications = (c: PeerConnection) =>
  c.messages
    .filter((m): m is NotificationMessage => m.type === "notification")
    .map((n) => `${n.code}/${n.subcode}`);
const established = (a: BgpAnnouncer, name: string) =>
  a.currentStatuses().find((s) => s.peer === name)?.state === "established";

const hosts: [string, () => SessionFactory | undefined][] = [
  ["in-thread sessions", () => undefined],
  ["sessions in the Worker", () => workerSessionFactory()],
];

describe.each(hosts)("BgpAnnouncer, %s", (_name, factory) => {
  beforeEach(() => {
    sessionFactory = factory();
  });

  test("one session per peer with its own routes; status$ reports every state", async () => {
    const p1 = peer();
    const p2 = peer();
    const { announcer: a, statuses } = announcer();
    a.setDesired(
      desired([spec("a", p1.port), spec("b", p2.port)], {
        a: [route("192.0.2.1/32")],
        b: [route("192.0.2.2/32")],
      }),
    );
    await a.start();
    await p1.until("both up", () => established(a, "a") && established(a, "b"));
    const nlri = (p: ScriptedPeer) =>
      p.connections[0]!.messages.flatMap((m) => (m.type === "update" ? m.nlri.map((n) => n.address) : []));
    await p1.until("routes", () => nlri(p1).length > 0 && nlri(p2).length > 0);
    expect(nlri(p1)).toEqual(["192.0.2.1"]);
    expect(nlri(p2)).toEqual(["192.0.2.2"]);
    expect(statuses.at(-1)!.map((s) => `${s.peer}:${s.state}`)).toEqual(["a:established", "b:established"]);
    expect(statuses.some((list) => list.some((s) => s.state === "openSent"))).toBe(true);
  });

  test("a removed peer gets Cease 6/3; a changed spec gets 6/6 and a new session", async () => {
    const p1 = peer();
    const p2 = peer();
    const events: string[] = [];
    const { announcer: a } = announcer(events);
    await a.start();
    a.setDesired(desired([spec("a", p1.port), spec("b", p2.port)], {}));
    await p1.until("both up", () => established(a, "a") && established(a, "b"));
    a.setDesired(desired([spec("b", p2.port, { holdTimeS: 30 })], {}));
    await p1.until("6/3", () => notifications(p1.connections[0]!).length > 0);
    expect(notifications(p1.connections[0]!)).toEqual(["6/3"]);
    await p2.until("6/6", () => notifications(p2.connections[0]!).length > 0);
    expect(notifications(p2.connections[0]!)).toEqual(["6/6"]);
    // The new session dials only once the old connection is gone: no second connection while the
    // first is open (a router would refuse it as a collision).
    await p2.until("second dial", () => p2.connections.length === 2);
    expect(p2.connections[0]!.closed).toBe(true);
    await p2.until("new session", () => p2.connections.length === 2 && established(a, "b"));
    const open = p2.connections[1]!.messages[0]!;
    expect(open.type === "open" && open.holdTimeS).toBe(30);
    expect(a.currentStatuses().map((s) => s.peer)).toEqual(["b"]);
    await p1.until("metrics removed", () => events.includes(`removed 127.0.0.1:${p1.port}`));
    expect(events).not.toContain(`removed 127.0.0.1:${p2.port}`);
  });

  test("stop('handover') withdraws every route before Cease 6/2", async () => {
    const p = peer();
    const { announcer: a } = announcer();
    a.setDesired(desired([spec("a", p.port)], { a: [route("192.0.2.1/32"), route("192.0.2.2/32")] }));
    await a.start();
    await p.until("up", () => established(a, "a"));
    const c = p.connections[0]!;
    await p.until("routes", () => c.messages.some((m) => m.type === "update" && m.nlri.length === 2));
    await a.stop("handover");
    await p.until("cease", () => notifications(c).length > 0);
    const withdrawIndex = c.messages.findIndex((m) => m.type === "update" && m.withdrawn.length > 0);
    const ceaseIndex = c.messages.findIndex((m) => m.type === "notification");
    expect(withdrawIndex).toBeGreaterThan(0);
    expect(withdrawIndex).toBeLessThan(ceaseIndex);
    const withdrawal = c.messages[withdrawIndex]!;
    expect(withdrawal.type === "update" && withdrawal.withdrawn.map((w) => w.address).sort()).toEqual([
      "192.0.2.1",
      "192.0.2.2",
    ]);
    expect(notifications(c)).toEqual(["6/2"]);
  });

  test("stop('handover'): a session the router resets on our BFD AdminDown (as FRR 8.4 does) ends, and is never dialled again", async () => {
    const p = peer();
    const bfd: BfdSessions = {
      setDesired: () => {},
      stop: async () => {
        const c = p.connections[0]!;
        c.socket.write(encodeNotification(6, 10));
        c.socket.end();
      },
    };
    // A grace longer than the first reconnect delay (FIRST_RETRY_MS, 0.75 of it with this jitter).
    const { announcer: a } = announcer([], bfd, 2 * FIRST_RETRY_MS);
    a.setDesired(desired([spec("a", p.port)], { a: [route("192.0.2.1/32")] }));
    await a.start();
    await p.until("up", () => established(a, "a"));
    const started = performance.now();
    await a.stop("handover");
    const tookMs = performance.now() - started;
    await Bun.sleep(FIRST_RETRY_MS);
    expect(p.connections.length).toBe(1);
    expect(a.currentStatuses()).toEqual([]);
    // Nothing left to withdraw from: no grace to wait.
    expect(tookMs).toBeLessThan(FIRST_RETRY_MS);
  });

  test("stop('handover') with graceful restart negotiated closes quietly, routes in place, then BFD AdminDown once the router closed too; without it, withdraw then Cease", async () => {
    // The router's BGP daemon answers our FIN 300 ms late, as a loaded one may.
    const helper = new ScriptedPeer({
      asn: 64500,
      ctx: { fourOctetASN: true, extendedMessage: false, families: ["ipv4-unicast"] },
      capabilities: {
        gracefulRestart: { restarting: false, notification: false, restartTimeS: 120, families: [] },
      },
      closeDelayMs: 300,
    }).start();
    peers.push(helper);
    const plain = peer();
    // BFD's AdminDown goes after the graceful-restart session closed (a router that takes it for
    // a failure would reset a session still open, ending graceful restart), before the withdrawal.
    const atBfdStop: { grClosed?: boolean; plainWithdrawn?: boolean } = {};
    const bfd: BfdSessions = {
      setDesired: () => {},
      stop: async () => {
        atBfdStop.grClosed = helper.connections[0]?.closed;
        atBfdStop.plainWithdrawn = plain.connections[0]?.messages.some(
          (m) => m.type === "update" && m.withdrawn.length > 0,
        );
      },
    };
    const { announcer: a } = announcer([], bfd);
    a.setDesired(
      desired(
        [
          spec("gr", helper.port, { gracefulRestart: true }),
          spec("plain", plain.port, { gracefulRestart: true }),
        ],
        { gr: [route("192.0.2.1/32")], plain: [route("192.0.2.2/32")] },
      ),
    );
    await a.start();
    await helper.until("up", () => established(a, "gr") && established(a, "plain"));
    expect(a.currentStatuses().find((s) => s.peer === "gr")?.gracefulRestart).toBe(true);
    expect(a.currentStatuses().find((s) => s.peer === "plain")?.gracefulRestart).toBeUndefined();
    const gr = helper.connections[0]!;
    const open = gr.messages.find((m) => m.type === "open");
    // Restart State depends on how long this process has run (gracefulRestartCapability's test).
    expect(open?.type === "open" && open.capabilities.gracefulRestart).toMatchObject({
      notification: false,
      restartTimeS: 120,
      families: [{ family: "ipv4-unicast", forwardingPreserved: true }],
    });
    await helper.until("routes", () => gr.messages.some((m) => m.type === "update" && m.nlri.length === 1));
    await a.stop("handover");
    await helper.until("closed", () => gr.closed);
    expect(gr.finReceived).toBe(true);
    expect(atBfdStop).toEqual({ grClosed: true, plainWithdrawn: false });
    expect(notifications(gr)).toEqual([]);
    expect(gr.messages.some((m) => m.type === "update" && m.withdrawn.length > 0)).toBe(false);
    const c = plain.connections[0]!;
    await plain.until("cease", () => notifications(c).length > 0);
    expect(c.messages.some((m) => m.type === "update" && m.withdrawn.length > 0)).toBe(true);
  });

  test("stop('handover') toward a router that never answers our FIN: BFD AdminDown after PEER_CLOSE_WAIT_MS at the latest", async () => {
    const silent = new ScriptedPeer({
      asn: 64500,
      capabilities: {
        gracefulRestart: { restarting: false, notification: false, restartTimeS: 120, families: [] },
      },
      closeDelayMs: 60_000,
    }).start();
    peers.push(silent);
    let bfdStoppedAfterMs: number | undefined;
    let started = 0;
    const bfd: BfdSessions = {
      setDesired: () => {},
      stop: async () => {
        bfdStoppedAfterMs = performance.now() - started;
      },
    };
    const { announcer: a } = announcer([], bfd);
    a.setDesired(
      desired([spec("gr", silent.port, { gracefulRestart: true })], { gr: [route("192.0.2.1/32")] }),
    );
    await a.start();
    await silent.until("up", () => established(a, "gr"));
    started = performance.now();
    await a.stop("handover");
    const tookMs = performance.now() - started;
    expect(silent.connections[0]?.finReceived).toBe(true);
    expect(bfdStoppedAfterMs).toBeGreaterThanOrEqual(PEER_CLOSE_WAIT_MS - 20);
    expect(tookMs).toBeLessThan(PEER_CLOSE_WAIT_MS + 1000);
  });

  test("stop('now') sends Cease 6/2 at once, without withdrawing", async () => {
    const p = peer();
    const { announcer: a } = announcer();
    a.setDesired(desired([spec("a", p.port)], { a: [route("192.0.2.1/32")] }));
    await a.start();
    await p.until("up", () => established(a, "a"));
    const c = p.connections[0]!;
    await a.stop("now");
    await p.until("cease", () => notifications(c).length > 0);
    expect(notifications(c)).toEqual(["6/2"]);
    expect(c.messages.some((m) => m.type === "update" && m.withdrawn.length > 0)).toBe(false);
  });
});
