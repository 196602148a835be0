import { describe, expect, test } from "bun:test";
import type { Capabilities, OpenMessage } from "./codec/types.ts";
import {
  type FsmConfig,
  type FsmEffect,
  type FsmEvent,
  type FsmState,
  fsmTransition,
  initialFsmState,
  OPEN_SENT_HOLD_S,
  retryDelayMs,
} from "./fsm.ts";

const config: FsmConfig = {
  myASN: 64512,
  peerASN: 64500,
  dynamicASN: undefined,
  holdTimeS: 90,
  keepaliveTimeS: 0,
  families: ["ipv4-unicast"],
  connectTimeS: 120,
  dialTimeoutS: 10,
};

function caps(overrides: Partial<Capabilities> = {}): Capabilities {
  return {
    families: ["ipv4-unicast"],
    fourOctetASN: 64500,
    routeRefresh: true,
    enhancedRouteRefresh: false,
    extendedMessage: false,
    gracefulRestart: undefined,
    unknown: [],
    ...overrides,
  };
}

function open(overrides: Partial<OpenMessage> = {}): OpenMessage {
  return {
    type: "open",
    version: 4,
    myAS: 64500,
    holdTimeS: 30,
    bgpIdentifier: "10.0.0.1",
    capabilities: caps(),
    ...overrides,
  };
}

/** Runs events from a state, returning the last result and all effects. */
function run(state: FsmState, events: readonly FsmEvent[], cfg = config, jitter = 0) {
  let current = state;
  const effects: FsmEffect[] = [];
  let reason = "";
  for (const event of events) {
    const result = fsmTransition(current, event, cfg, jitter);
    current = result.state;
    effects.push(...result.effects);
    reason = result.reason;
  }
  return { state: current, effects, reason };
}

const toOpenSent: FsmEvent[] = [{ type: "start" }, { type: "tcpConnected", routerID: "10.0.0.11" }];
const toOpenConfirm: FsmEvent[] = [...toOpenSent, { type: "openReceived", open: open() }];
const toEstablished: FsmEvent[] = [...toOpenConfirm, { type: "keepaliveReceived" }];

function at(events: readonly FsmEvent[], cfg = config): FsmState {
  return run(initialFsmState(), events, cfg).state;
}

function step(state: FsmState, event: FsmEvent, cfg = config, jitter = 0) {
  return fsmTransition(state, event, cfg, jitter);
}

function sent(effects: readonly FsmEffect[]) {
  return effects.filter((e) => e.type === "sendNotification").map((e) => `${e.code}/${e.subcode}`);
}

function armed(effects: readonly FsmEffect[], timer: string): number | undefined {
  const arm = effects.filter((e) => e.type === "armTimer" && e.timer === timer).at(-1);
  return arm?.type === "armTimer" ? arm.ms : undefined;
}

describe("happy path", () => {
  test("start dials and arms the dial timeout", () => {
    const r = step(initialFsmState(), { type: "start" });
    expect(r.state.name).toBe("connect");
    expect(r.reason).toBe("started");
    expect(r.effects.map((e) => e.type)).toContain("connect");
    expect(armed(r.effects, "dial")).toBe(10_000);
  });

  test("tcpConnected sends OPEN with the router ID and holds 240 s in OpenSent", () => {
    const r = step(at([{ type: "start" }]), { type: "tcpConnected", routerID: "10.0.0.11" });
    expect(r.state.name).toBe("openSent");
    expect(r.effects).toContainEqual({ type: "sendOpen", routerID: "10.0.0.11" });
    expect(r.effects).toContainEqual({ type: "cancelTimer", timer: "dial" });
    expect(armed(r.effects, "hold")).toBe(OPEN_SENT_HOLD_S * 1000);
  });

  test("a valid OPEN answers KEEPALIVE, negotiates min hold and hold/3 keepalive, waits in OpenConfirm", () => {
    const r = step(at(toOpenSent), { type: "openReceived", open: open({ holdTimeS: 30 }) });
    expect(r.state.name).toBe("openConfirm");
    expect(r.effects.map((e) => e.type)).toContain("sendKeepalive");
    expect(armed(r.effects, "hold")).toBe(30_000);
    expect(armed(r.effects, "keepalive")).toBe(10_000);
    expect(r.effects.some((e) => e.type === "sessionEstablished")).toBe(false);
  });

  test("Established only after the peer's KEEPALIVE; the RIB is sent then", () => {
    const r = step(at(toOpenConfirm), { type: "keepaliveReceived" });
    expect(r.state.name).toBe("established");
    expect(r.reason).toBe("established");
    const up = r.effects.find((e) => e.type === "sessionEstablished");
    expect(up?.type === "sessionEstablished" && up.negotiated.holdTimeS).toBe(30);
    expect(r.effects).toContainEqual({ type: "reportState", state: "established" });
  });

  test("our hold time wins when smaller; configured keepalive wins when below hold/3", () => {
    const cfg = { ...config, holdTimeS: 9, keepaliveTimeS: 2 };
    const r = step(at(toOpenSent, cfg), { type: "openReceived", open: open({ holdTimeS: 180 }) }, cfg);
    expect(armed(r.effects, "hold")).toBe(9000);
    expect(armed(r.effects, "keepalive")).toBe(2000);
  });

  test("hold 0 from the peer: no hold timer, no keepalives", () => {
    const r = step(at(toOpenSent), { type: "openReceived", open: open({ holdTimeS: 0 }) });
    expect(r.state.name).toBe("openConfirm");
    expect(armed(r.effects, "hold")).toBeUndefined();
    expect(armed(r.effects, "keepalive")).toBeUndefined();
    const established = step(r.state, { type: "keepaliveReceived" });
    expect(armed(established.effects, "hold")).toBeUndefined();
    expect(step(established.state, { type: "keepaliveTimerDue" }).reason).toBe("ignored");
  });

  test("keepalive timer sends and rearms in OpenConfirm and Established", () => {
    for (const s of [at(toOpenConfirm), at(toEstablished)]) {
      const r = step(s, { type: "keepaliveTimerDue" });
      expect(r.effects).toEqual([
        { type: "sendKeepalive" },
        { type: "armTimer", timer: "keepalive", ms: 10_000 },
      ]);
    }
  });

  test("received KEEPALIVE and UPDATE restart the hold timer in Established; routes are delivered", () => {
    const s = at(toEstablished);
    expect(armed(step(s, { type: "keepaliveReceived" }).effects, "hold")).toBe(30_000);
    const u = step(s, { type: "updateReceived", prefixes: 3 });
    expect(armed(u.effects, "hold")).toBe(30_000);
    expect(u.effects).toContainEqual({ type: "routesReceived", prefixes: 3 });
    expect(u.state.name).toBe("established");
  });
});

describe("OPEN checks", () => {
  const reject = (o: OpenMessage, cfg = config) => {
    const r = step(at(toOpenSent, cfg), { type: "openReceived", open: o }, cfg);
    return { state: r.state.name, sent: sent(r.effects), lastError: r.state.lastError, effects: r.effects };
  };

  test("peer AS differing from the configured one: 2/2, close, retry", () => {
    const r = reject(open({ myAS: 64999, capabilities: caps({ fourOctetASN: 64999 }) }));
    expect(r.sent).toEqual(["2/2"]);
    expect(r.lastError).toBe("badPeerAS");
    expect(r.state).toBe("idle");
    expect(r.effects.map((e) => e.type)).toContain("close");
    expect(armed(r.effects, "connectRetry")).toBeGreaterThan(0);
  });

  test("My AS disagreeing with capability 65: 2/2", () => {
    expect(reject(open({ myAS: 64501 })).sent).toEqual(["2/2"]);
  });

  test("4-octet peer AS via AS_TRANS is accepted", () => {
    const cfg = { ...config, peerASN: 4200000000 };
    const r = reject(open({ myAS: 23456, capabilities: caps({ fourOctetASN: 4200000000 }) }), cfg);
    expect(r.state).toBe("openConfirm");
  });

  test("a peer without capability 65 is judged on My AS", () => {
    expect(reject(open({ capabilities: caps({ fourOctetASN: undefined }) })).state).toBe("openConfirm");
  });

  test("ASN 0: 2/2", () => {
    expect(reject(open({ myAS: 0, capabilities: caps({ fourOctetASN: undefined }) })).sent).toEqual(["2/2"]);
  });

  test("dynamicASN internal needs our AS, external anything else", () => {
    const internal = { ...config, peerASN: undefined, dynamicASN: "internal" as const };
    expect(reject(open(), internal).sent).toEqual(["2/2"]);
    const ibgpOpen = open({ myAS: 64512, capabilities: caps({ fourOctetASN: 64512 }) });
    expect(reject(ibgpOpen, internal).state).toBe("openConfirm");
    const external = { ...config, peerASN: undefined, dynamicASN: "external" as const };
    expect(reject(ibgpOpen, external).sent).toEqual(["2/2"]);
    expect(reject(open(), external).state).toBe("openConfirm");
  });

  test("BGP identifier 0: 2/3; equal to ours on iBGP: 2/3; equal on eBGP is legal (RFC 6286)", () => {
    expect(reject(open({ bgpIdentifier: "0.0.0.0" })).sent).toEqual(["2/3"]);
    const ibgp = { ...config, peerASN: 64512 };
    const sameId = open({
      myAS: 64512,
      bgpIdentifier: "10.0.0.11",
      capabilities: caps({ fourOctetASN: 64512 }),
    });
    expect(reject(sameId, ibgp).sent).toEqual(["2/3"]);
    expect(reject(open({ bgpIdentifier: "10.0.0.11" })).state).toBe("openConfirm");
  });

  test("hold time 1 or 2: 2/6", () => {
    expect(reject(open({ holdTimeS: 1 })).sent).toEqual(["2/6"]);
    expect(reject(open({ holdTimeS: 2 })).sent).toEqual(["2/6"]);
    expect(reject(open({ holdTimeS: 3 })).state).toBe("openConfirm");
  });

  test("version other than 4: 2/1 with data 4", () => {
    const r = reject(open({ version: 3 }));
    expect(r.sent).toEqual(["2/1"]);
    const n = r.effects.find((e) => e.type === "sendNotification");
    expect(n?.type === "sendNotification" && [...n.data]).toEqual([0, 4]);
  });

  test("families: only those both sent; no capability 1 at all means IPv4 only", () => {
    const dual = { ...config, families: ["ipv4-unicast", "ipv6-unicast"] as const };
    const both = at(
      [
        ...toOpenSent,
        { type: "openReceived", open: open({ capabilities: caps({ families: ["ipv6-unicast"] }) }) },
      ],
      {
        ...dual,
        families: [...dual.families],
      },
    );
    expect(both.negotiated?.codec.families).toEqual(["ipv6-unicast"]);
    const none = at(
      [...toOpenSent, { type: "openReceived", open: open({ capabilities: caps({ families: [] }) }) }],
      {
        ...dual,
        families: [...dual.families],
      },
    );
    expect(none.negotiated?.codec.families).toEqual(["ipv4-unicast"]);
    expect(none.negotiated?.codec.fourOctetASN).toBe(true);
  });

  test("unknown capabilities do not matter", () => {
    const o = open({ capabilities: caps({ unknown: [{ code: 73, value: new Uint8Array([1, 2]) }] }) });
    expect(reject(o).state).toBe("openConfirm");
  });
});

describe("errors and unexpected messages", () => {
  test("hold timer expiry sends 4/0 and closes, in OpenSent, OpenConfirm and Established", () => {
    for (const events of [toOpenSent, toOpenConfirm, toEstablished]) {
      const r = step(at(events), { type: "holdTimerExpired" });
      expect(sent(r.effects)).toEqual(["4/0"]);
      expect(r.effects.map((e) => e.type)).toContain("close");
      expect(r.state.name).toBe("idle");
      expect(r.state.lastError).toBe("holdTimerExpired");
      expect(armed(r.effects, "connectRetry")).toBeGreaterThan(0);
    }
  });

  test("leaving Established tells the shell the peer's RIB is gone", () => {
    const r = step(at(toEstablished), { type: "holdTimerExpired" });
    expect(r.effects.map((e) => e.type)).toContain("sessionDown");
    const fromConfirm = step(at(toOpenConfirm), { type: "holdTimerExpired" });
    expect(fromConfirm.effects.map((e) => e.type)).not.toContain("sessionDown");
  });

  test("unexpected messages: 5/1 in OpenSent, 5/2 in OpenConfirm, OPEN in Established 5/3", () => {
    expect(sent(step(at(toOpenSent), { type: "keepaliveReceived" }).effects)).toEqual(["5/1"]);
    expect(sent(step(at(toOpenSent), { type: "updateReceived", prefixes: 0 }).effects)).toEqual(["5/1"]);
    expect(sent(step(at(toOpenConfirm), { type: "openReceived", open: open() }).effects)).toEqual(["5/2"]);
    expect(sent(step(at(toOpenConfirm), { type: "updateReceived", prefixes: 1 }).effects)).toEqual(["5/2"]);
    const r = step(at(toEstablished), { type: "openReceived", open: open() });
    expect(sent(r.effects)).toEqual(["5/3"]);
    expect(r.reason).toBe("unexpectedMessage");
  });

  test("a decode error sends its own NOTIFICATION", () => {
    const error = {
      reason: "malformedAttributeList" as const,
      code: 3,
      subcode: 1,
      data: new Uint8Array(0),
      detail: "lengths do not fit",
    };
    const r = step(at(toEstablished), { type: "decodeError", error });
    expect(sent(r.effects)).toEqual(["3/1"]);
    expect(r.state.lastError).toBe("malformedAttributeList");
  });

  test("a received NOTIFICATION closes without answering", () => {
    const notification = { type: "notification" as const, code: 6, subcode: 2, data: new Uint8Array(0) };
    const r = step(at(toEstablished), { type: "notificationReceived", notification });
    expect(sent(r.effects)).toEqual([]);
    expect(r.state.name).toBe("idle");
    expect(r.state.lastError).toBe("peerNotification 6/2");
    expect(r.effects.map((e) => e.type)).toContain("close");
  });

  test("TCP closed by the peer: no NOTIFICATION, retry", () => {
    const r = step(at(toEstablished), { type: "tcpClosed" });
    expect(sent(r.effects)).toEqual([]);
    expect(r.reason).toBe("tcpClosed");
    expect(armed(r.effects, "connectRetry")).toBeGreaterThan(0);
  });
});

describe("connect and retry", () => {
  test("TCP failure waits in Active, then the retry timer dials again", () => {
    const r = step(at([{ type: "start" }]), { type: "tcpFailed", detail: "ECONNREFUSED" });
    expect(r.state.name).toBe("active");
    expect(armed(r.effects, "connectRetry")).toBe(750);
    const again = step(r.state, { type: "connectRetryTimerExpired" });
    expect(again.state.name).toBe("connect");
    expect(again.reason).toBe("retrying");
    expect(again.effects.map((e) => e.type)).toContain("connect");
  });

  test("dial timeout: close and back off", () => {
    const r = step(at([{ type: "start" }]), { type: "dialTimerExpired" });
    expect(r.state.name).toBe("active");
    expect(r.reason).toBe("dialTimeout");
    expect(r.effects.map((e) => e.type)).toContain("close");
  });

  test("after an error in an open connection, Idle with the retry armed goes back to Connect", () => {
    const r = step(at(toEstablished), { type: "holdTimerExpired" });
    expect(step(r.state, { type: "connectRetryTimerExpired" }).state.name).toBe("connect");
  });

  test("backoff doubles per consecutive failure, capped by connectTimeS, jittered into [75 %, 100 %]", () => {
    const cfg = { ...config, connectTimeS: 5 };
    let s = at([{ type: "start" }], cfg);
    const waits: (number | undefined)[] = [];
    for (let i = 0; i < 5; i++) {
      const failed = step(s, { type: "tcpFailed", detail: "x" }, cfg, 0.999999);
      waits.push(armed(failed.effects, "connectRetry"));
      s = step(failed.state, { type: "connectRetryTimerExpired" }, cfg).state;
    }
    expect(waits).toEqual([1000, 2000, 4000, 5000, 5000]);
    expect(retryDelayMs(3, 120, 0)).toBe(3000);
    expect(retryDelayMs(1, 120, 0.5)).toBe(875);
  });

  test("Established resets the backoff", () => {
    let s = at([{ type: "start" }]);
    for (let i = 0; i < 4; i++) {
      s = step(step(s, { type: "tcpFailed", detail: "x" }).state, { type: "connectRetryTimerExpired" }).state;
    }
    s = run(s, [
      { type: "tcpConnected", routerID: "10.0.0.11" },
      { type: "openReceived", open: open() },
      { type: "keepaliveReceived" },
    ]).state;
    expect(s.failures).toBe(0);
    expect(armed(step(s, { type: "tcpClosed" }).effects, "connectRetry")).toBe(750);
  });
});

describe("stop", () => {
  test("Cease subcode by cause, from Established", () => {
    const causes = { adminShutdown: "6/2", peerDeconfigured: "6/3", configChanged: "6/6" } as const;
    for (const [cause, code] of Object.entries(causes)) {
      const r = step(at(toEstablished), { type: "stop", cause: cause as keyof typeof causes });
      expect(sent(r.effects)).toEqual([code]);
      expect(r.state.name).toBe("idle");
      expect(r.state.running).toBe(false);
      expect(armed(r.effects, "connectRetry")).toBeUndefined();
      expect(r.effects.map((e) => e.type)).toEqual(expect.arrayContaining(["close", "sessionDown"]));
    }
  });

  test("Cease also from OpenSent and OpenConfirm; only a close while connecting; nothing while waiting", () => {
    expect(sent(step(at(toOpenSent), { type: "stop", cause: "adminShutdown" }).effects)).toEqual(["6/2"]);
    expect(sent(step(at(toOpenConfirm), { type: "stop", cause: "adminShutdown" }).effects)).toEqual(["6/2"]);
    const connecting = step(at([{ type: "start" }]), { type: "stop", cause: "adminShutdown" });
    expect(sent(connecting.effects)).toEqual([]);
    expect(connecting.effects.map((e) => e.type)).toContain("close");
    const waiting = at([{ type: "start" }, { type: "tcpFailed", detail: "x" }]);
    const r = step(waiting, { type: "stop", cause: "adminShutdown" });
    expect(r.effects.map((e) => e.type)).not.toContain("close");
    expect(r.effects).toContainEqual({ type: "cancelTimer", timer: "connectRetry" });
  });

  test("a stopped session ignores late timers and does not restart", () => {
    const s = step(at(toEstablished), { type: "stop", cause: "adminShutdown" }).state;
    for (const event of [
      { type: "connectRetryTimerExpired" },
      { type: "holdTimerExpired" },
      { type: "keepaliveTimerDue" },
      { type: "tcpClosed" },
    ] as const) {
      const r = step(s, event);
      expect(r.reason).toBe("ignored");
      expect(r.effects).toEqual([]);
    }
  });
});

describe("route refresh", () => {
  const request = (afi: number, subtype = 0) => ({ type: "route-refresh" as const, afi, safi: 1, subtype });

  test("a negotiated family is resent", () => {
    const r = step(at(toEstablished), { type: "routeRefreshReceived", request: request(1) });
    expect(r.effects).toContainEqual({ type: "resendFamily", family: "ipv4-unicast" });
  });

  test("a family not negotiated, or a BoRR/EoRR marker, is ignored but restarts the hold timer", () => {
    for (const r of [
      step(at(toEstablished), { type: "routeRefreshReceived", request: request(2) }),
      step(at(toEstablished), { type: "routeRefreshReceived", request: request(1, 1) }),
    ]) {
      expect(r.effects.map((e) => e.type)).not.toContain("resendFamily");
      expect(armed(r.effects, "hold")).toBe(30_000);
    }
  });
});

describe("totality", () => {
  const events: FsmEvent[] = [
    { type: "start" },
    { type: "stop", cause: "adminShutdown" },
    { type: "tcpConnected", routerID: "10.0.0.11" },
    { type: "tcpFailed", detail: "x" },
    { type: "tcpClosed" },
    { type: "openReceived", open: open() },
    { type: "keepaliveReceived" },
    { type: "updateReceived", prefixes: 1 },
    { type: "routeRefreshReceived", request: { type: "route-refresh", afi: 1, safi: 1, subtype: 0 } },
    {
      type: "notificationReceived",
      notification: { type: "notification", code: 6, subcode: 2, data: new Uint8Array() },
    },
    {
      type: "decodeError",
      error: { reason: "badMessageType", code: 1, subcode: 3, data: new Uint8Array([9]), detail: "" },
    },
    { type: "holdTimerExpired" },
    { type: "keepaliveTimerDue" },
    { type: "dialTimerExpired" },
    { type: "connectRetryTimerExpired" },
  ];
  const states = [
    initialFsmState(),
    at([{ type: "start" }]),
    at([{ type: "start" }, { type: "tcpFailed", detail: "x" }]),
    at(toOpenSent),
    at(toOpenConfirm),
    at(toEstablished),
  ];

  test("every event in every state yields a state and never throws", () => {
    for (const s of states) {
      for (const e of events) {
        const r = step(s, e);
        expect(["idle", "connect", "active", "openSent", "openConfirm", "established"]).toContain(
          r.state.name,
        );
        expect(typeof r.reason).toBe("string");
      }
    }
  });

  test("a state change is always reported", () => {
    for (const s of states) {
      for (const e of events) {
        const r = step(s, e);
        if (r.state.name !== s.name)
          expect(r.effects).toContainEqual({ type: "reportState", state: r.state.name });
      }
    }
  });
});
