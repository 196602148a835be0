/**
 * The heartbeat transport of the membership Worker: the libc sockets of beat-sockets.ts, read by
 * the Worker's poll loop (poll-loop.ts). transport.ts is the same on Bun.udpSocket, for the engine
 * on the main thread.
 */
import { receiveNow } from "../runtime/libc.ts";
import { openBeatSockets } from "./beat-sockets.ts";
import type { BeatDestination } from "./destination.ts";
import type { PollLoop } from "./poll-loop.ts";
import type { OpenTransport } from "./transport.ts";

/** A beat is at most 26 + 253 + 16 bytes; a longer datagram arrives cut and is dropped as oversized. */
const RECEIVE_BYTES = 2048;
/** Datagrams read per wake-up before the timers get a turn (a flood cannot starve our own beats). */
const DRAIN_BATCH = 64;

export function pollTransport(loop: PollLoop, destination: BeatDestination, port: number): OpenTransport {
  return async (onPacket) => {
    const sockets = openBeatSockets(destination, port);
    const buffer = new Uint8Array(RECEIVE_BYTES);
    loop.watch(sockets.receiveFd, () => {
      for (let i = 0; i < DRAIN_BATCH; i += 1) {
        const length = receiveNow(sockets.receiveFd, buffer);
        // -EAGAIN: nothing more queued. Other errors (an ICMP error queued on the socket) are
        // consumed by the failed read itself; the next beat is read normally.
        if (length < 0) return;
        onPacket(buffer.slice(0, Math.min(length, RECEIVE_BYTES)));
      }
    });
    return {
      send: (bytes) => sockets.send(bytes) === undefined,
      close() {
        loop.unwatch(sockets.receiveFd);
        sockets.close();
      },
    };
  };
}
