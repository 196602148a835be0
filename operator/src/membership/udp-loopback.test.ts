/**
 * The real UDP path on loopback only (127.0.0.0/8, broadcast 127.255.255.255 on `lo`): sockets,
 * the Worker host and the wire format together. The segment tests with several nodes are in
 * e2e/membership/ (network namespaces).
 */
import { afterEach, describe, expect, test } from "bun:test";
import type { NetworkInterfaceInfo } from "node:os";
import { filter, firstValueFrom } from "rxjs";
import { threadNames } from "../testing/threads.ts";
import { beatKeyFromSecret } from "./key.ts";
import { Membership, type MembershipUpdate } from "./membership.ts";
import { type Beat, encodeBeat } from "./packet.ts";

const secret = new TextEncoder().encode("bG9vcGJhY2sgc2VjcmV0IGtleQ==");
const key = beatKeyFromSecret(secret);
/** 127.0.0.2/8 presented as an ordinary interface, so its broadcast is 127.255.255.255 (on lo). */
const loopbackAsSegment = () => ({
  fake0: [
    {
      address: "127.0.0.2",
      cidr: "127.0.0.2/8",
      netmask: "255.0.0.0",
      family: "IPv4",
      mac: "",
      internal: false,
    } satisfies NetworkInterfaceInfo,
  ],
});

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function peerSocket(port: number) {
  const socket = await Bun.udpSocket({ hostname: "127.0.0.3", port });
  socket.setBroadcast(true);
  cleanups.push(() => socket.close());
  const send = (bytes: Uint8Array) => socket.send(bytes, port, "127.255.255.255");
  return { send };
}

function randomPort(): number {
  return 20_000 + Math.floor(Math.random() * 30_000);
}

for (const thread of ["worker", "inline"] as const) {
  describe(`Membership over UDP on loopback (${thread})`, () => {
    test("a peer's beats make it a member; silence drops it; forged and replayed packets are counted", async () => {
      const port = randomPort();
      const m = new Membership({
        nodeName: "node-a",
        key: secret,
        bindAddress: "127.0.0.2",
        port,
        interfaces: loopbackAsSegment,
        thread,
      });
      cleanups.push(() => m.stop());
      const updates: MembershipUpdate[] = [];
      m.changes$.subscribe((u) => updates.push(u));
      const named = () => threadNames().filter((name) => name === "membership").length;
      // The previous test's Worker thread ends a moment after its stop() resolved (seen in CI:
      // counted before this start, gone after it): wait for it, so the count is this one's only.
      const deadline = performance.now() + 2000;
      while (named() > 0 && performance.now() < deadline) await Bun.sleep(10);
      const namedBefore = named();
      await m.start();
      // The Worker names its thread, so top -H tells the heartbeats from the rest.
      expect(named()).toBe(namedBefore + (thread === "worker" ? 1 : 0));
      const peer = await peerSocket(port);
      const beat: Beat = { kind: "alive", node: "node-b", incarnation: Date.now(), seq: 0, intervalMs: 100 };
      let seq = 0;
      let last: Uint8Array = new Uint8Array();
      const beating = setInterval(() => {
        seq += 1;
        last = encodeBeat({ ...beat, seq }, key);
        peer.send(last);
      }, 100);
      cleanups.push(() => clearInterval(beating));
      const both = await firstValueFrom(m.members$.pipe(filter((s) => s.has("node-b"))));
      expect([...both]).toEqual(["node-a", "node-b"]);

      const wrongKey = beatKeyFromSecret(new TextEncoder().encode("wrong"));
      peer.send(encodeBeat({ ...beat, node: "intruder", seq: 1 }, wrongKey));
      peer.send(last); // a replay of a beat already accepted
      peer.send(last.subarray(0, 20));
      await Bun.sleep(150);

      clearInterval(beating);
      const stoppedAt = performance.now();
      await firstValueFrom(m.members$.pipe(filter((s) => !s.has("node-b"))));
      const detectedMs = performance.now() - stoppedAt;
      expect(detectedMs).toBeGreaterThan(250);
      expect(detectedMs).toBeLessThan(1000);
      expect(updates.at(-1)?.changes).toEqual([
        { node: "node-b", change: "departed", reason: "timeout", at: expect.any(Number) },
      ]);

      const counters = await m.counters();
      expect(counters.dropped.forged).toBe(1);
      expect(counters.dropped.replayed).toBeGreaterThanOrEqual(1);
      expect(counters.dropped.truncated).toBe(1);
      expect(counters.dropped.self).toBeGreaterThan(5); // our own broadcasts, looped back by the kernel
      expect(counters.received.alive).toBeGreaterThan(3);
      expect(counters.sent.alive).toBeGreaterThan(5);
    });

    test("leave() puts the leaving beats on the wire and stops alive beats; stop() frees the port", async () => {
      const port = randomPort();
      const m = new Membership({
        nodeName: "node-a",
        key: secret,
        bindAddress: "127.0.0.2",
        port,
        broadcastAddress: "127.255.255.255",
        interfaces: loopbackAsSegment,
        thread,
      });
      await m.start();
      await Bun.sleep(250);
      await m.leave();
      await Bun.sleep(100);
      const afterLeave = await m.counters();
      expect(afterLeave.sent.leaving).toBe(3);
      // every packet we sent came back through the kernel's broadcast loop: they were on the wire
      expect(afterLeave.dropped.self).toBe(afterLeave.sent.alive + afterLeave.sent.leaving);
      await Bun.sleep(300);
      expect((await m.counters()).sent.alive).toBe(afterLeave.sent.alive);
      await m.stop();
      // sockets closed: the same address and port can be bound again at once
      const again = await Bun.udpSocket({ hostname: "127.255.255.255", port });
      again.close();
      const sender = await Bun.udpSocket({ hostname: "127.0.0.2", port });
      sender.close();
    });
  });
}
