import { describe, expect, test } from "bun:test";
import { BfdMachine, type BfdTimers } from "./machine.ts";
import { type ControlPacket, DIAG } from "./packet.ts";

const FAST: BfdTimers = { desiredMinTxUs: 300_000, requiredMinRxUs: 300_000, detectMult: 3, passive: false };

/** Two machines on a lossless link with a delay, driven in 1 ms steps. */
function pair(a: BfdTimers = FAST, b: BfdTimers = FAST, delayMs = 1) {
  const left = new BfdMachine(11, a, 0, () => 0.5);
  const right = new BfdMachine(22, b, 0, () => 0.5);
  const inFlight: Array<{ at: number; to: BfdMachine; packet: ControlPacket }> = [];
  const sent = { left: [] as ControlPacket[], right: [] as ControlPacket[] };
  let now = 0;
  let cut = false;
  const send = (from: BfdMachine, packet: ControlPacket) => {
    (from === left ? sent.left : sent.right).push(packet);
    if (!cut) inFlight.push({ at: now + delayMs, to: from === left ? right : left, packet });
  };
  const step = () => {
    now++;
    for (const m of [left, right]) {
      const p = m.tick(now);
      if (p) send(m, p);
    }
    for (const f of inFlight.filter((f) => f.at <= now)) {
      inFlight.splice(inFlight.indexOf(f), 1);
      const { reply } = f.to.receive(f.packet, now);
      if (reply) send(f.to, reply);
    }
  };
  return {
    left,
    right,
    sent,
    run(ms: number) {
      for (let i = 0; i < ms; i++) step();
    },
    get now() {
      return now;
    },
    cut() {
      cut = true;
      inFlight.length = 0;
    },
  };
}

describe("BfdMachine", () => {
  test("three-way handshake: Down, Init, Up on both sides within the first slow packets", () => {
    const p = pair();
    p.run(2_000);
    expect(p.left.state).toBe("Up");
    expect(p.right.state).toBe("Up");
    expect(p.left.takeChanges().map((c) => c.to)).toEqual(["Init", "Up"]);
    expect(p.right.takeChanges().map((c) => c.to)).toEqual(["Init", "Up"]);
  });

  test("while not Up Desired Min TX is 1 s; Up lowers it with a Poll answered by a Final", () => {
    const p = pair();
    expect(p.left.packet().desiredMinTxUs).toBe(1_000_000);
    p.run(3_000);
    const up = p.sent.left.filter((x) => x.state === "Up");
    expect(up.some((x) => x.poll)).toBe(true);
    expect(p.sent.right.some((x) => x.final)).toBe(true);
    expect(p.left.packet().desiredMinTxUs).toBe(300_000);
    expect(p.left.packet().poll).toBe(false);
    // Once Up and polled, packets go every 300 ms less jitter (0.875 with random 0.5).
    const before = p.sent.left.length;
    p.run(2_625);
    expect(p.sent.left.length - before).toBe(10);
  });

  test("silence: Down with diag 1 after 3 x 300 ms, Your Discriminator back to 0", () => {
    const p = pair();
    p.run(3_000);
    p.left.takeChanges();
    p.cut();
    const cutAt = p.now;
    let downAt: number | undefined;
    for (let i = 0; i < 2_000 && downAt === undefined; i++) {
      p.run(1);
      if (p.left.state === "Down") downAt = p.now;
    }
    expect(downAt! - cutAt).toBeLessThanOrEqual(900);
    expect(downAt! - cutAt).toBeGreaterThan(600);
    expect(p.left.takeChanges()).toEqual([
      { from: "Up", to: "Down", diag: DIAG.controlDetectionTimeExpired },
    ]);
    expect(p.left.packet().yourDiscriminator).toBe(0);
    expect(p.left.packet().desiredMinTxUs).toBe(1_000_000);
  });

  test("a peer's AdminDown takes us Down with diag 3, its diag kept as remoteDiag", () => {
    const p = pair();
    p.run(3_000);
    p.left.takeChanges();
    const { reply } = p.left.receive(p.right.adminDown(p.now), p.now);
    expect(reply).toBeUndefined();
    expect(p.left.takeChanges()).toEqual([
      {
        from: "Up",
        to: "Down",
        diag: DIAG.neighborSignaledSessionDown,
        remoteDiag: DIAG.administrativelyDown,
      },
    ]);
  });

  test("packets that name another session, or claim Up without knowing us, are ignored", () => {
    const m = new BfdMachine(5, FAST, 0);
    const base = new BfdMachine(9, FAST, 0).packet();
    expect(m.receive({ ...base, state: "Up", yourDiscriminator: 0 }, 1).ignored).toBe(
      "zeroYourDiscriminatorWhileUp",
    );
    expect(m.receive({ ...base, yourDiscriminator: 6 }, 1).ignored).toBe("wrongYourDiscriminator");
    expect(m.state).toBe("Down");
  });

  test("passive mode sends nothing until the peer speaks", () => {
    const m = new BfdMachine(5, { ...FAST, passive: true }, 0);
    expect(m.nextDeadline()).toBeUndefined();
    expect(m.tick(10_000)).toBeUndefined();
    m.receive(new BfdMachine(9, FAST, 0).packet(), 10_000);
    expect(m.state).toBe("Init");
    expect(m.nextDeadline()).toBeDefined();
  });

  test("a Required Min RX of 0 from the peer stops our periodic packets (§6.8.3)", () => {
    const m = new BfdMachine(5, FAST, 0);
    expect(m.tick(0)).toBeDefined();
    m.receive({ ...new BfdMachine(9, FAST, 0).packet(), requiredMinRxUs: 0 }, 10);
    expect(m.tick(100_000)).toBeUndefined();
  });

  test("the peer's slower Required Min RX sets our interval; detection uses its Desired Min TX", () => {
    const p = pair(FAST, { ...FAST, requiredMinRxUs: 1_000_000, desiredMinTxUs: 500_000, detectMult: 5 });
    p.run(5_000);
    expect(p.left.state).toBe("Up");
    const before = p.sent.left.length;
    p.run(8_750);
    // every 1 s x 0.875
    expect(p.sent.left.length - before).toBe(10);
    p.cut();
    const cutAt = p.now;
    while (p.left.state === "Up" && p.now < cutAt + 5_000) p.run(1);
    // 5 x max(300 ms, 500 ms)
    expect(p.now - cutAt).toBeGreaterThan(2_000);
    expect(p.now - cutAt).toBeLessThanOrEqual(2_500);
  });
});
