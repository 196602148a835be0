/** WorkerSession against a fake channel: what it posts, and how it replays the Worker's events. */
import { describe, expect, test } from "bun:test";
import type { BgpRoute, BgpSessionStatus } from "../../domain/bgp/types.ts";
import type { BgpSessionOptions } from "./session.ts";
import type { ToSessionWorker } from "./session-worker-protocol.ts";
import { loopbackSessionSpec } from "./testing/session-spec.ts";
import { WorkerSession } from "./worker-session.ts";

const spec = loopbackSessionSpec(1, { holdTimeS: 3, keepaliveTimeS: 1 });

const route = (prefix: string): BgpRoute => ({
  prefix,
  family: "ipv4",
  localPref: undefined,
  communities: [],
  largeCommunities: [],
});

function setup(options: Partial<BgpSessionOptions> = {}) {
  const posted: ToSessionWorker[] = [];
  const ended: number[] = [];
  const calls: string[] = [];
  const statuses: BgpSessionStatus[] = [];
  const session = new WorkerSession(
    7,
    spec,
    {
      nodeName: "node-1",
      dialTimeoutS: 4,
      onStatus: (s) => statuses.push(s),
      log: {
        debug: (_f, m) => calls.push(`debug ${m}`),
        info: (_f, m) => calls.push(`info ${m}`),
        warn: (_f, m) => calls.push(`warn ${m}`),
        error: (_f, m) => calls.push(`error ${m}`),
      },
      metrics: {
        sessionUp: (p, up) => calls.push(`up ${p} ${up}`),
        updateSent: (p) => calls.push(`update ${p}`),
        prefixes: (p, a, n) => calls.push(`prefixes ${p} ${a} ${n}`),
        messageSent: (p, k) => calls.push(`sent ${p} ${k}`),
        messageReceived: (p, k) => calls.push(`received ${p} ${k}`),
      },
      ...options,
    },
    { post: (m) => posted.push(m), ended: (id) => ended.push(id) },
  );
  return { session, posted, ended, calls, statuses };
}

describe("WorkerSession", () => {
  test("creates its session with the data options only, reading the interface table once", () => {
    let reads = 0;
    const table = {
      lo: [{ address: "127.0.0.1", family: "IPv4" as const, cidr: "127.0.0.1/8", internal: true }],
    };
    const { posted } = setup({
      interfaces: () => {
        reads += 1;
        return table;
      },
      random: () => 0,
    });
    expect(reads).toBe(1);
    expect(posted).toEqual([
      {
        type: "create",
        session: 7,
        spec,
        config: { nodeName: "node-1", dialTimeoutS: 4, openSentHoldS: undefined, interfaces: table },
      },
    ]);
  });

  test("posts start and route deltas; an unchanged set posts nothing", () => {
    const { session, posted } = setup();
    posted.length = 0;
    session.start();
    const routes = [route("192.0.2.1/32")];
    session.setRoutes(routes);
    session.setRoutes(routes);
    session.setRoutes([route("192.0.2.1/32")]);
    session.setRoutes([]);
    expect(posted).toEqual([
      { type: "start", session: 7 },
      { type: "routes", session: 7, delta: { upsert: routes, remove: [] } },
      { type: "routes", session: 7, delta: { upsert: [], remove: ["192.0.2.1/32"] } },
    ]);
  });

  test("replays status, logs and metrics under its label; idle until the Worker reports", () => {
    const { session, calls, statuses } = setup();
    expect(session.status()).toEqual({ peer: "router", state: "idle", lastError: undefined });
    const up: BgpSessionStatus = { peer: "router", state: "established", lastError: undefined };
    session.onEvent({ type: "status", session: 7, status: up });
    session.onEvent({ type: "sessionUp", session: 7, up: true });
    session.onEvent({ type: "log", session: 7, level: "info", fields: {}, msg: "BGP session established" });
    session.onEvent({ type: "messageSent", session: 7, kind: "keepalive" });
    session.onEvent({ type: "messageReceived", session: 7, kind: "open" });
    session.onEvent({ type: "updateSent", session: 7 });
    session.onEvent({ type: "prefixes", session: 7, announced: 2, pending: 1 });
    expect(session.status()).toEqual(up);
    expect(statuses).toEqual([up]);
    expect(calls).toEqual([
      "up 127.0.0.1:1 true",
      "info BGP session established",
      "sent 127.0.0.1:1 keepalive",
      "received 127.0.0.1:1 open",
      "update 127.0.0.1:1",
      "prefixes 127.0.0.1:1 2 1",
    ]);
  });

  test("flushed and stop resolve on the Worker's answer; stop tells the host it ended", async () => {
    const { session, posted, ended } = setup();
    posted.length = 0;
    let flushed = false;
    const flushing = session.flushed().then(() => {
      flushed = true;
    });
    await Bun.sleep(1);
    expect(flushed).toBe(false);
    const ask = posted[0]!;
    expect(ask.type).toBe("flushed");
    session.onEvent({ type: "done", session: 7, request: (ask as { request: number }).request });
    await flushing;
    expect(flushed).toBe(true);

    const stopping = session.stop("peerDeconfigured");
    const stop = posted[1]!;
    expect(stop).toMatchObject({ type: "stop", session: 7, cause: "peerDeconfigured" });
    expect(ended).toEqual([]);
    session.onEvent({ type: "done", session: 7, request: (stop as { request: number }).request });
    await stopping;
    expect(ended).toEqual([7]);
  });

  test("after the Worker failed, the session runs in this thread with its routes", async () => {
    const { session, posted, calls } = setup({
      dial: () => ({ result: new Promise(() => {}), abort: () => {} }),
    });
    session.start();
    session.setRoutes([route("192.0.2.1/32")]);
    session.onEvent({
      type: "status",
      session: 7,
      status: { peer: "router", state: "established", lastError: undefined },
    });
    const pending = session.flushed();
    const count = posted.length;
    session.fallBack();
    await pending;
    expect(session.inThread).toBe(true);
    // Started again here: dialling (our dialer never answers).
    expect(session.status().state).toBe("connect");
    expect(calls).toContain("up 127.0.0.1:1 false");
    expect(calls.filter((c) => c.startsWith("prefixes")).at(-1)).toBe("prefixes 127.0.0.1:1 0 1");
    session.setRoutes([]);
    await session.stop("adminShutdown");
    expect(posted.length).toBe(count);
  });
});
