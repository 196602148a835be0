/**
 * Sessions in the BGP session Worker over loopback: a peer in its own process (testing/timing-peer.ts)
 * keeps hold time 3 s while this test blocks the main thread for 5 s. Loopback only.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import type { BgpSessionSpec, BgpSessionStatus } from "../../domain/bgp/types.ts";
import type { ManagedSession } from "./announcer.ts";
import { SessionWorkerHost } from "./session-worker-host.ts";
import { ScriptedPeer } from "./testing/scripted-peer.ts";
import { loopbackSessionSpec } from "./testing/session-spec.ts";
import { startTimingPeer, type TimingPeer } from "./testing/timing-peer.ts";
import type { WorkerSession } from "./worker-session.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function spec(port: number): BgpSessionSpec {
  return loopbackSessionSpec(port, { holdTimeS: 3, keepaliveTimeS: 1 });
}

const loopback = () => ({
  lo: [{ address: "127.0.0.1", family: "IPv4" as const, cidr: "127.0.0.1/8", internal: true }],
});

function hosted(host: SessionWorkerHost, port: number, errors: string[] = []) {
  const statuses: BgpSessionStatus[] = [];
  const session = host.factory(spec(port), {
    nodeName: "node-1",
    interfaces: loopback,
    onStatus: (s) => statuses.push(s),
    log: { debug() {}, info() {}, warn() {}, error: (_f, m) => errors.push(m) },
  });
  cleanups.push(() => session.stop("adminShutdown"));
  session.start();
  return { session, statuses };
}

async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}

function blockMainThread(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) {
    // Busy, as a long JSON.parse or reconcile is: no turn of the event loop.
  }
}

const threadNames = (): string[] =>
  readdirSync("/proc/self/task").map((tid) => readFileSync(`/proc/self/task/${tid}/comm`, "utf8").trim());

describe("BGP sessions in the Worker", () => {
  test("the main thread blocked 5 s: the peer (hold 3 s) hears a KEEPALIVE at least every 1.5 s", async () => {
    const peer: TimingPeer = await startTimingPeer({ holdTimeS: 3, keepaliveS: 1 });
    cleanups.push(() => peer.stop());
    const host = new SessionWorkerHost();
    const { session, statuses } = hosted(host, peer.port);
    await until("established", () => session.status().state === "established");
    expect((session as WorkerSession).inThread).toBe(false);
    await peer.until("a keepalive after the OPEN", (lines) =>
      lines.some((l) => l.event === "message" && l.kind === "keepalive"),
    );
    const from = performance.timeOrigin + performance.now();
    blockMainThread(5000);
    const to = performance.timeOrigin + performance.now();
    // The KEEPALIVE due just after the block, so that the last gap inside it is measured too.
    await Bun.sleep(1200);
    const gaps = peer.keepaliveGaps(from, to + 1200);
    expect(gaps.length).toBeGreaterThanOrEqual(5);
    expect(Math.max(...gaps)).toBeLessThanOrEqual(1500);
    expect(peer.holdExpiries()).toBe(0);
    expect(peer.lines.some((l) => l.event === "closed")).toBe(false);
    expect(session.status().state).toBe("established");
    expect(statuses.filter((s) => s.state === "established")).toHaveLength(1);
  }, 20_000);

  test("its thread is named bgp while it hosts a session, and ends after the last one", async () => {
    const peer = new ScriptedPeer({ asn: 64500 }).start();
    cleanups.push(() => peer.stop());
    const host = new SessionWorkerHost();
    const { session } = hosted(host, peer.port);
    await until("established", () => session.status().state === "established");
    expect(threadNames()).toContain("bgp");
    expect(host.hosted).toEqual({ sessions: 1, worker: true });
    await session.stop("adminShutdown");
    expect(host.hosted).toEqual({ sessions: 0, worker: false });
    await until("the bgp thread gone", () => !threadNames().includes("bgp"));
  });

  test("a Worker that cannot load: the failure is logged once and the sessions run here", async () => {
    const peer = new ScriptedPeer({ asn: 64500 }).start();
    cleanups.push(() => peer.stop());
    const errors: string[] = [];
    const host = new SessionWorkerHost({
      url: new URL("./no-such-worker.ts", import.meta.url).href,
      log: { debug() {}, info() {}, warn() {}, error: (_f, m) => errors.push(m) },
    });
    const first = hosted(host, peer.port).session;
    const second: ManagedSession = hosted(host, peer.port).session;
    await until("both established", () => [first, second].every((s) => s.status().state === "established"));
    expect((first as WorkerSession).inThread).toBe(true);
    expect(errors.filter((m) => m.startsWith("BGP session worker failed"))).toHaveLength(1);
    const third = hosted(host, peer.port).session;
    // Created after the failure: an in-thread session from the start.
    expect("inThread" in third).toBe(false);
    expect(host.hosted.worker).toBe(false);
  });
});
