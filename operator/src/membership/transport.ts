/**
 * The I/O of heartbeats: two UDP sockets (Bun.udpSocket) on the segment of the bind address, for
 * the engine on the main thread (`thread: "inline"`). The membership Worker opens the same sockets
 * through libc instead (beat-sockets.ts, poll-transport.ts).
 *
 * - The receiver binds to the destination itself (the subnet broadcast address or the multicast
 *   group), so it gets only beats and never unicast sent to the node, and can share the port with
 *   the sender.
 * - The sender binds to bindAddress:port (the source peers see, and what firewalls match), with
 *   SO_BROADCAST on, or with the multicast interface and a hop limit of 1 for groups.
 * - The kernel loops our own broadcasts and multicasts back to our receiver: the detector counts
 *   them as "self", which proves that sending works.
 * Measured under Bun 1.4.5 in the testbed namespaces (docs/membership.md, "Sockets").
 */
import type { BeatDestination } from "./destination.ts";

export type PacketHandler = (bytes: Uint8Array) => void;

export interface Transport {
  /** Sends one packet to the segment; false when the kernel refused it (e.g. link down). */
  send(bytes: Uint8Array): boolean;
  close(): void;
}

export type OpenTransport = (onPacket: PacketHandler) => Promise<Transport>;

export function udpTransport(destination: BeatDestination, port: number): OpenTransport {
  return async (onPacket) => {
    const receiver = await Bun.udpSocket({
      hostname: destination.listenOn,
      port,
      socket: {
        data(_socket, data) {
          onPacket(data);
        },
      },
    });
    let sender: Bun.udp.Socket<"buffer">;
    try {
      if (destination.join !== undefined) {
        const on = destination.family === "IPv4" ? destination.bindAddress : `::%${destination.ifname}`;
        if (!receiver.addMembership(destination.join, on)) throw new Error(`cannot join ${destination.join}`);
      }
      sender = await Bun.udpSocket({ hostname: destination.bindAddress, port });
      if (destination.kind === "broadcast") sender.setBroadcast(true);
      else {
        sender.setMulticastTTL(1);
        sender.setMulticastLoopback(true);
        if (destination.family === "IPv4") sender.setMulticastInterface(destination.bindAddress);
      }
    } catch (error) {
      receiver.close();
      throw error;
    }
    return {
      send(bytes) {
        try {
          return sender.send(bytes, port, destination.sendTo);
        } catch {
          return false;
        }
      },
      close() {
        sender.close();
        receiver.close();
      },
    };
  };
}
