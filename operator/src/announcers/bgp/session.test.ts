/**
 * BgpSession over real TCP on 127.0.0.1 against a scripted peer (testing/scripted-peer.ts).
 * Loopback only: nothing leaves the machine and no BGP router runs.
 */
import { afterEach, describe, expect, test } from "bun:test";
import type { BgpRoute, BgpSessionSpec, BgpSessionStatus } from "../../domain/bgp/types.ts";
import { encodeRouteRefresh } from "./codec/index.ts";
import type { BgpMessage, NotificationMessage, OpenMessage, UpdateMessage } from "./codec/types.ts";
import {
  BgpSession,
  type BgpSessionOptions,
  DEFAULT_IBGP_LOCAL_PREF,
  GRACEFUL_RESTART_TIME_S,
  gracefulRestartCapability,
} from "./session.ts";
import { type PeerConnection, ScriptedPeer, type ScriptedPeerOptions } from "./testing/scripted-peer.ts";
import { loopbackSessionSpec } from "./testing/session-spec.ts";
import type { Dialer } from "./transport.ts";

const peers: ScriptedPeer[] = [];
const sessions: BgpSession[] = [];

afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.stop("adminShutdown")));
  for (const p of peers.splice(0)) p.stop();
});

const spec = loopbackSessionSpec;

function route(prefix: string, overrides: Partial<BgpRoute> = {}): BgpRoute {
  return {
    prefix,
    family: "ipv4",
    localPref: undefined,
    communities: [],
    largeCommunities: [],
    ...overrides,
  };
}

function peer(options: Partial<ScriptedPeerOptions> = {}): ScriptedPeer {
  const p = new ScriptedPeer({
    asn: 64500,
    ctx: { fourOctetASN: true, extendedMessage: false, families: ["ipv4-unicast"] },
    ...options,
  }).start();
  peers.push(p);
  return p;
}

function session(
  s: BgpSessionSpec,
  options: Partial<BgpSessionOptions> = {},
): { session: BgpSession; statuses: BgpSessionStatus[] } {
  const statuses: BgpSessionStatus[] = [];
  const created = new BgpSession(s, {
    nodeName: "node-1",
    random: () => 0,
    interfaces: () => ({
      lo: [{ address: "127.0.0.1", family: "IPv4", cidr: "127.0.0.1/8", internal: true }],
    }),
    onStatus: (status) => statuses.push(status),
    ...options,
  });
  sessions.push(created);
  return { session: created, statuses };
}

const updates = (c: PeerConnection) => c.messages.filter((m): m is UpdateMessage => m.type === "update");
const notifications = (c: PeerConnection) =>
  c.messages.filter((m): m is NotificationMessage => m.type === "notification");
const announced = (c: PeerConnection) =>
  updates(c).flatMap((u) => u.nlri.map((p) => `${p.address}/${p.length}`));
const withdrawn = (c: PeerConnection) =>
  updates(c).flatMap((u) => u.withdrawn.map((p) => `${p.address}/${p.length}`));
const isEndOfRib = (m: BgpMessage) => m.type === "update" && m.endOfRib === "ipv4-unicast";

async function established(p: ScriptedPeer, s: BgpSession): Promise<PeerConnection> {
  await p.until("established", () => s.state === "established");
  return p.connections.at(-1)!;
}

describe("BgpSession over loopback", () => {
  test("reaches Established; the OPEN says who we are; the table, then End-of-RIB", async () => {
    const p = peer();
    const { session: s, statuses } = session(spec(p.port));
    s.setRoutes([route("192.0.2.10/32", { communities: [65000 * 65536 + 7] }), route("192.0.2.11/32")]);
    s.start();
    const c = await established(p, s);
    await p.until("End-of-RIB", () => c.messages.some(isEndOfRib));
    const open = c.messages[0] as OpenMessage;
    expect(open.type).toBe("open");
    expect(open.version).toBe(4);
    expect(open.myAS).toBe(64512);
    expect(open.holdTimeS).toBe(90);
    expect(open.bgpIdentifier).toBe("127.0.0.1");
    expect(open.capabilities.families).toEqual(["ipv4-unicast"]);
    expect(open.capabilities.routeRefresh).toBe(true);
    expect(open.capabilities.fourOctetASN).toBe(64512);
    expect(c.messages[1]!.type).toBe("keepalive");
    const routed = updates(c).filter((u) => u.nlri.length > 0);
    expect(announced(c).sort()).toEqual(["192.0.2.10/32", "192.0.2.11/32"]);
    for (const u of routed) {
      expect(u.origin).toBe("igp");
      expect(u.asPath).toEqual([64512]);
      expect(u.nextHop).toBe("127.0.0.1");
      expect(u.localPref).toBeUndefined();
    }
    expect(routed.find((u) => u.nlri.some((n) => n.address === "192.0.2.10"))!.communities).toEqual([
      65000 * 65536 + 7,
    ]);
    // End-of-RIB comes after the table.
    const eorIndex = c.messages.findIndex(isEndOfRib);
    expect(c.messages.slice(eorIndex + 1).some((m) => m.type === "update" && m.nlri.length > 0)).toBe(false);
    expect(statuses.map((x) => x.state)).toEqual(["connect", "openSent", "openConfirm", "established"]);
    expect(s.counters().announced).toBe(2);
    expect(s.counters().pending).toBe(0);
    expect(s.counters().sent.open).toBe(1);
  });

  test("setRoutes sends only the difference", async () => {
    const p = peer();
    const { session: s } = session(spec(p.port));
    s.setRoutes([route("192.0.2.1/32"), route("192.0.2.2/32"), route("192.0.2.3/32")]);
    s.start();
    const c = await established(p, s);
    await p.until("End-of-RIB", () => c.messages.some(isEndOfRib));
    const before = c.messages.length;
    s.setRoutes([route("192.0.2.1/32"), route("192.0.2.3/32", { communities: [1] }), route("192.0.2.4/32")]);
    await p.until("diff", () => c.messages.length >= before + 2 && c.messages.length);
    await Bun.sleep(50);
    const after = { ...c, messages: c.messages.slice(before) };
    expect(announced(after).sort()).toEqual(["192.0.2.3/32", "192.0.2.4/32"]);
    expect(withdrawn(after)).toEqual(["192.0.2.2/32"]);
    s.setRoutes([route("192.0.2.1/32"), route("192.0.2.3/32", { communities: [1] }), route("192.0.2.4/32")]);
    await Bun.sleep(50);
    expect(c.messages.length).toBe(before + after.messages.length);
  });

  test("iBGP: empty AS_PATH and LOCAL_PREF; plain Bun.connect (no socket options needed)", async () => {
    const p = peer({ asn: 64512 });
    const { session: s } = session(spec(p.port, { peerASN: 64512 }));
    s.setRoutes([route("192.0.2.20/32", { localPref: 150 })]);
    s.start();
    const c = await established(p, s);
    await p.until("route", () => announced(c).length > 0);
    const u = updates(c).find((x) => x.nlri.length > 0)!;
    expect(u.asPath).toEqual([]);
    expect(u.localPref).toBe(150);
  });

  test("iBGP without a localPref still carries LOCAL_PREF (100): a receiver would treat its absence as withdraw", async () => {
    const p = peer({ asn: 64512 });
    const { session: s } = session(spec(p.port, { peerASN: 64512 }));
    s.setRoutes([route("192.0.2.21/32")]);
    s.start();
    const c = await established(p, s);
    await p.until("route", () => announced(c).length > 0);
    const u = updates(c).find((x) => x.nlri.length > 0)!;
    expect(u.localPref).toBe(DEFAULT_IBGP_LOCAL_PREF);
  });

  test("a peer that never answers: session_up is 0 from the first attempt, not absent", async () => {
    const listener = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const port = listener.port;
    listener.stop(true);
    const ups: Array<[string, boolean]> = [];
    const { session: s } = session(spec(port), {
      metrics: {
        sessionUp: (peer, up) => ups.push([peer, up]),
        updateSent: () => undefined,
        prefixes: () => undefined,
        messageSent: () => undefined,
        messageReceived: () => undefined,
      },
    });
    s.start();
    await Bun.sleep(100);
    expect(ups[0]?.[1]).toBe(false);
    expect(ups.some(([, up]) => up)).toBe(false);
  });

  test("eBGP single hop dials through the FFI socket (TTL 1) and with a source address", async () => {
    const p = peer();
    const { session: s } = session(spec(p.port, { sourceAddress: "127.0.0.1" }));
    s.start();
    const c = await established(p, s);
    expect(c.socket.remoteAddress).toBe("127.0.0.1");
  });

  test("a peer with the wrong AS gets 2/2 and the session retries", async () => {
    const p = peer({ asn: 64999 });
    const { session: s } = session(spec(p.port));
    s.start();
    await p.until("2/2", () => p.connections[0] && notifications(p.connections[0]).length > 0);
    expect(notifications(p.connections[0]!).map((n) => `${n.code}/${n.subcode}`)).toEqual(["2/2"]);
    expect(s.status().lastError).toBe("badPeerAS");
    await p.until("retry", () => p.connections.length >= 2, 4000);
  });

  test("unknown capabilities from the peer are fine", async () => {
    const p = peer({
      capabilities: {
        unknown: [
          { code: 73, value: Uint8Array.of(4, 0x72, 0x74, 0x72, 0x31, 0) },
          { code: 71, value: new Uint8Array(0) },
        ],
      },
    });
    const { session: s } = session(spec(p.port));
    s.start();
    await established(p, s);
  });

  test("hold timer expiry sends 4/0, then the session redials with backoff", async () => {
    const p = peer({ holdTimeS: 3, sendKeepalives: false });
    const { session: s } = session(spec(p.port));
    s.start();
    // The peer's OPEN arrives, we answer KEEPALIVE; without the peer's KEEPALIVE we stay in OpenConfirm.
    await p.until("4/0", () => p.connections[0] && notifications(p.connections[0]).length > 0, 6000);
    expect(notifications(p.connections[0]!).map((n) => `${n.code}/${n.subcode}`)).toEqual(["4/0"]);
    expect(s.status().lastError).toBe("holdTimerExpired");
    const failedAt = performance.now();
    await p.until("redial", () => p.connections.length >= 2, 3000);
    // First retry: 1 s x 0.75 (jitter 0).
    expect(performance.now() - failedAt).toBeGreaterThan(600);
  }, 12_000);

  test("a peer that never sends its OPEN: hold timer in OpenSent, 4/0, retry", async () => {
    const p = peer({ answerOpen: false });
    const { session: s } = session(spec(p.port), { openSentHoldS: 1 });
    s.start();
    await p.until("4/0", () => p.connections[0] && notifications(p.connections[0]).length > 0, 3000);
    expect(notifications(p.connections[0]!).map((n) => `${n.code}/${n.subcode}`)).toEqual(["4/0"]);
    await p.until("retry", () => p.connections.length >= 2, 3000);
  });

  test("a dial that never completes times out and is retried", async () => {
    let dials = 0;
    const never: Dialer = () => {
      dials++;
      return { result: new Promise(() => {}), abort: () => {} };
    };
    const { session: s, statuses } = session(spec(1), { dial: never, dialTimeoutS: 0.2 });
    s.start();
    const p = peer();
    await p.until("two dials", () => dials >= 2, 3000);
    expect(statuses.map((x) => x.state)).toContain("active");
    expect(s.status().lastError).toBe("dialTimeout");
  });

  test("a malformed UPDATE from the peer yields 3/1 and the session goes down", async () => {
    const p = peer();
    const { session: s } = session(spec(p.port));
    s.start();
    const c = await established(p, s);
    // Withdrawn Routes Length 200 in a 4-byte body (RFC 4271 §6.3: 3/1).
    const bad = new Uint8Array(23).fill(0xff);
    bad.set([0, 23, 2, 0, 200, 0, 0], 16);
    c.socket.write(bad);
    await p.until("3/1", () => notifications(c).length > 0);
    expect(notifications(c).map((n) => `${n.code}/${n.subcode}`)).toEqual(["3/1"]);
    expect(s.status().lastError).toBe("malformedAttributeList");
  });

  test("routes the peer sends are counted and ignored; the session stays up", async () => {
    const p = peer();
    const { session: s } = session(spec(p.port));
    s.start();
    const c = await established(p, s);
    // One UPDATE: ORIGIN IGP, AS_PATH [64500], NEXT_HOP 127.0.0.2, NLRI 198.51.100.0/24.
    const body = [
      0, 0, 0, 20, 0x40, 1, 1, 0, 0x40, 2, 6, 2, 1, 0, 0, 0xfb, 0xf4, 0x40, 3, 4, 127, 0, 0, 2, 24, 198, 51,
      100,
    ];
    const msg = new Uint8Array(19 + body.length).fill(0xff);
    msg.set([0, 19 + body.length, 2, ...body], 16);
    c.socket.write(msg);
    await p.until("counted", () => s.counters().prefixesReceived === 1);
    expect(s.state).toBe("established");
  });

  test("ROUTE-REFRESH re-sends the table", async () => {
    const p = peer();
    const { session: s } = session(spec(p.port));
    s.setRoutes([route("192.0.2.30/32")]);
    s.start();
    const c = await established(p, s);
    await p.until("table", () => announced(c).length === 1);
    c.socket.write(encodeRouteRefresh(1, 1));
    await p.until("again", () => announced(c).length === 2);
    expect(announced(c)).toEqual(["192.0.2.30/32", "192.0.2.30/32"]);
    expect(s.counters().received.routeRefresh).toBe(1);
  });

  test("stop sends Cease 6/2 and does not redial", async () => {
    const p = peer();
    const { session: s } = session(spec(p.port));
    s.start();
    const c = await established(p, s);
    await s.stop("adminShutdown");
    await p.until("cease", () => notifications(c).length > 0);
    expect(notifications(c).map((n) => `${n.code}/${n.subcode}`)).toEqual(["6/2"]);
    await p.until("closed", () => c.closed);
    await Bun.sleep(1200);
    expect(p.connections.length).toBe(1);
    expect(s.state).toBe("idle");
  });
});

test("capability 64: Forwarding State for every family; Restart State only within the restart time of the process's start", () => {
  const families = ["ipv4-unicast", "ipv6-unicast"] as const;
  const fresh = gracefulRestartCapability(families, 5);
  expect(fresh).toEqual({
    restarting: true,
    notification: false,
    restartTimeS: GRACEFUL_RESTART_TIME_S,
    families: [
      { family: "ipv4-unicast", forwardingPreserved: true },
      { family: "ipv6-unicast", forwardingPreserved: true },
    ],
  });
  expect(gracefulRestartCapability(families, GRACEFUL_RESTART_TIME_S + 1).restarting).toBe(false);
});
