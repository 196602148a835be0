/**
 * TCP MD5 (RFC 2385) end to end on 127.0.0.1: the session's FFI socket signs its SYN with the key,
 * a keyed listener accepts it; with another key the kernel drops the SYNs and the session's dial
 * times out and backs off. Loopback only.
 */
import { afterEach, expect, test } from "bun:test";
import type { BgpSessionStatus } from "../../domain/bgp/types.ts";
import { BgpSession } from "./session.ts";
import { type Md5Listener, md5Listener } from "./testing/md5-listener.ts";
import { loopbackSessionSpec } from "./testing/session-spec.ts";

const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0)) await fn();
});

function keyedSession(port: number, password: string): { session: BgpSession; statuses: BgpSessionStatus[] } {
  const spec = loopbackSessionSpec(port, { peerASN: 64512, password });
  const statuses: BgpSessionStatus[] = [];
  const session = new BgpSession(spec, {
    nodeName: "node-1",
    dialTimeoutS: 0.5,
    random: () => 0,
    onStatus: (s) => statuses.push(s),
  });
  cleanup.push(() => session.stop("adminShutdown"));
  return { session, statuses };
}

function listener(key: string): Md5Listener {
  const l = md5Listener(key);
  cleanup.push(() => l.stop());
  return l;
}

test("the right key: the keyed listener accepts and receives our OPEN", async () => {
  const l = listener("ibgp-test");
  const { session } = keyedSession(l.port, "ibgp-test");
  session.start();
  for (let i = 0; i < 100 && (l.accepted.length === 0 || session.state !== "openSent"); i++)
    await Bun.sleep(10);
  expect(l.accepted.length).toBe(1);
  expect(session.state).toBe("openSent");
  expect(session.counters().sent.open).toBe(1);
});

test("a wrong key: SYNs dropped, the dial times out, the session backs off and redials", async () => {
  const l = listener("ibgp-test");
  const { session, statuses } = keyedSession(l.port, "not-the-key");
  session.start();
  await Bun.sleep(1600);
  expect(l.accepted.length).toBe(0);
  expect(statuses.filter((s) => s.state === "connect").length).toBeGreaterThanOrEqual(2);
  expect(session.status().lastError).toBe("dialTimeout");
  expect(statuses.some((s) => s.state === "openSent")).toBe(false);
});
