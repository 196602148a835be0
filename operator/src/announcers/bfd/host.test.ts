/**
 * Two BFD Workers on loopback, each with its own ports (a real peer uses 3784 on both sides): the
 * real sockets, TTL check, poll loop and Worker messages.
 */
import { afterEach, expect, test } from "bun:test";
import { join } from "node:path";
import { BfdHost } from "./host.ts";
import type { BfdStateChange } from "./machine.ts";
import { encodePacket } from "./packet.ts";
import type { BfdPeerSpec } from "./runner.ts";

/**
 * Ports for the two sides of one test, below the ephemeral range (32768-60999) where a client
 * socket elsewhere could hold them, and different per test so that no test waits for the last
 * one's sockets to close.
 */
function portsFor(test: number) {
  const a = { singleHop: 13784 + test * 10, multihop: 13785 + test * 10 };
  const b = { singleHop: 23784 + test * 10, multihop: 23785 + test * 10 };
  return { a: { listen: a, peer: b }, b: { listen: b, peer: a } };
}

function peer(key: string, ms = 100): BfdPeerSpec {
  return {
    key,
    peerAddress: "127.0.0.1",
    multihop: false,
    minimumTtl: 254,
    timers: { desiredMinTxUs: ms * 1000, requiredMinRxUs: ms * 1000, detectMult: 3, passive: false },
  };
}

const hosts: BfdHost[] = [];
afterEach(async () => {
  for (const h of hosts.splice(0)) await h.stop();
});

/** A packet from "the peer's address" that no session sent (discriminator 99, 1 s timers). */
function forgedPacket(state: "Down" | "AdminDown"): Uint8Array {
  return encodePacket({
    diag: 0,
    state,
    poll: false,
    final: false,
    controlPlaneIndependent: false,
    demand: false,
    detectMult: 3,
    myDiscriminator: 99,
    yourDiscriminator: 0,
    desiredMinTxUs: 1_000_000,
    requiredMinRxUs: 1_000_000,
    requiredMinEchoRxUs: 0,
  });
}

function host(ports: ReturnType<typeof portsFor>["a"]) {
  const changes: Array<{ key: string; change: BfdStateChange; at: number }> = [];
  const problems: string[] = [];
  const h = new BfdHost(
    {
      change: (key, change) => changes.push({ key, change, at: performance.now() }),
      problem: (p) => problems.push(p),
    },
    { ports },
  );
  hosts.push(h);
  return { h, changes, problems };
}

async function until(check: () => boolean, ms: number): Promise<boolean> {
  const deadline = performance.now() + ms;
  while (!check() && performance.now() < deadline) await Bun.sleep(10);
  return check();
}

test("two Workers reach Up over loopback; a stopped peer's AdminDown takes the other Down at once (diag 3)", async () => {
  const ports = portsFor(1);
  const a = host(ports.a);
  const b = host(ports.b);
  a.h.setDesired([peer("b")]);
  b.h.setDesired([peer("a")]);
  const up = await until(() => a.h.state("b") === "Up" && b.h.state("a") === "Up", 5_000);
  expect([...a.problems, ...b.problems]).toEqual([]);
  expect(up).toBe(true);
  const counters = await a.h.counters();
  expect(counters).toHaveLength(1);
  expect(counters[0]!.controlPacketsIn).toBeGreaterThan(1);
  expect(counters[0]!.upEvents).toBe(1);
  const stoppedAt = performance.now();
  await b.h.stop();
  expect(await until(() => a.h.state("b") === "Down", 1_000)).toBe(true);
  const down = a.changes.at(-1)!;
  expect(down.change).toMatchObject({ from: "Up", to: "Down", diag: 3, remoteDiag: 7 });
  expect(down.at - stoppedAt).toBeLessThan(500);
  expect(a.problems).toEqual([]);
}, 15_000);

test("a silent peer is Down after 3 x 100 ms (diag 1); packets with TTL 64 never count", async () => {
  const ports = portsFor(2);
  const a = host(ports.a);
  const b = Bun.spawn(
    [
      "bun",
      join(import.meta.dir, "testing", "peer-process.ts"),
      JSON.stringify(ports.b),
      JSON.stringify(peer("a")),
    ],
    { stdout: "pipe", stderr: "inherit" },
  );
  try {
    a.h.setDesired([peer("b")]);
    const up = await until(() => a.h.state("b") === "Up", 5_000);
    expect(a.problems).toEqual([]);
    expect(up).toBe(true);
    // The peer's process dies without a word (no AdminDown): a must detect it by time.
    b.kill("SIGKILL");
    await b.exited;
    const silencedAt = performance.now();
    expect(await until(() => a.h.state("b") === "Down", 2_000)).toBe(true);
    const down = a.changes.at(-1)!;
    expect(down.change).toMatchObject({ from: "Up", to: "Down", diag: 1 });
    expect(down.at - silencedAt).toBeLessThan(400);
  } finally {
    b.kill("SIGKILL");
  }
  // A forged packet from one hop away (TTL 64, Bun's default) claiming Down is dropped.
  const before = (await a.h.counters())[0]!.controlPacketsIn;
  const forger = await Bun.udpSocket({});
  forger.send(forgedPacket("Down"), ports.a.listen.singleHop, "127.0.0.1");
  await Bun.sleep(200);
  forger.close();
  expect((await a.h.counters())[0]!.controlPacketsIn).toBe(before);
  expect(a.h.state("b")).toBe("Down");
}, 15_000);

test("a main thread busy for 3 s (a 10k-Service burst's JSON work) causes no false Down at 100 ms x 3", async () => {
  const ports = portsFor(3);
  const a = host(ports.a);
  const b = host(ports.b);
  a.h.setDesired([peer("b")]);
  b.h.setDesired([peer("a")]);
  expect(await until(() => a.h.state("b") === "Up" && b.h.state("a") === "Up", 5_000)).toBe(true);
  const before = (await a.h.counters())[0]!.controlPacketsIn;
  const busyUntil = performance.now() + 3_000;
  let spins = 0;
  while (performance.now() < busyUntil) spins++;
  expect(spins).toBeGreaterThan(0);
  await Bun.sleep(300);
  // Both Workers kept sending every ~100 ms while this thread could not take a single message.
  expect((await a.h.counters())[0]!.controlPacketsIn - before).toBeGreaterThan(20);
  expect([...a.changes, ...b.changes].filter((c) => c.change.to === "Down")).toEqual([]);
  expect(a.h.state("b")).toBe("Up");
}, 15_000);

test("multihop (RFC 5883): its own port, and packets below the profile's minimumTtl are dropped", async () => {
  const ports = portsFor(4);
  const multihop = (key: string, minimumTtl: number): BfdPeerSpec => ({
    ...peer(key),
    multihop: true,
    minimumTtl,
  });
  const a = host(ports.a);
  const b = host(ports.b);
  a.h.setDesired([multihop("b", 254)]);
  b.h.setDesired([multihop("a", 254)]);
  expect(await until(() => a.h.state("b") === "Up" && b.h.state("a") === "Up", 5_000)).toBe(true);
  const forger = await Bun.udpSocket({});
  const forged = forgedPacket("AdminDown");
  // An AdminDown from the peer's address would take the session Down; sent with TTL 64, as from
  // far away, it is below 254 and dropped.
  forger.send(forged, ports.a.listen.multihop, "127.0.0.1");
  await Bun.sleep(200);
  forger.close();
  expect(a.h.state("b")).toBe("Up");
  expect(a.problems).toEqual([]);
}, 15_000);
