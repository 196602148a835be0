/**
 * The two UDP sockets of heartbeats as plain file descriptors (libc through bun:ffi), for the
 * membership Worker's poll loop (poll-loop.ts). The same sockets as transport.ts builds with
 * Bun.udpSocket, option for option:
 *
 * - receiver: bound to the destination itself (the subnet broadcast address, or the multicast
 *   group scoped to the interface), so it gets only beats and can share the port with the sender;
 *   joined to the group when the destination needs a join (IP_ADD_MEMBERSHIP on the bind address,
 *   IPV6_JOIN_GROUP on the interface);
 * - sender: bound to bindAddress:port (the source peers see), SO_BROADCAST for a broadcast, or a
 *   hop limit of 1, loopback on and the interface set for a group.
 *
 * Why not Bun.udpSocket in the Worker: every packet then costs a turn of the Worker's event loop,
 * and each time that loop goes idle Bun's allocator sweeps its heaps. At 10 beats a second from
 * each of 4 nodes that was most of an idle 10k speaker's CPU (bench l2 footprint, membership on
 * against off: 1.0 % against 0.2 % of a core).
 */

import { addressBytes } from "../announcers/l2/addresses.ts";
import { type IPAddress, parseIP } from "../domain/ip/index.ts";
import {
  AF_INET,
  AF_INET6,
  bind,
  close,
  IP_ADD_MEMBERSHIP,
  IP_MULTICAST_IF,
  IP_MULTICAST_LOOP,
  IP_MULTICAST_TTL,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPV6_JOIN_GROUP,
  IPV6_MULTICAST_HOPS,
  IPV6_MULTICAST_IF,
  IPV6_MULTICAST_LOOP,
  interfaceIndex,
  ipv6Mreq,
  SO_BROADCAST,
  SOCK_DGRAM,
  SOCK_NONBLOCK,
  SOL_SOCKET,
  sendTo,
  setsockopt,
  setsockoptInt,
  socket,
} from "../runtime/libc.ts";
import type { BeatDestination } from "./destination.ts";

export interface BeatSockets {
  readonly receiveFd: number;
  /** Sends one beat to the destination; an error text (errno) when the kernel refused it. */
  send(bytes: Uint8Array): string | undefined;
  close(): void;
}

/** An address without its "%scope" suffix, parsed; throws on text that is no address. */
function parseAddress(text: string): IPAddress {
  const address = parseIP(text.split("%")[0]!);
  if (!address) throw new Error(`membership: ${text} is not an IP address`);
  return address;
}

/** fe80::/10: a link-local unicast address needs the interface as its scope. */
function isLinkLocalUnicast(bytes: Uint8Array): boolean {
  return bytes[0] === 0xfe && (bytes[1]! & 0xc0) === 0x80;
}

/** ff02::/16 and other multicast scopes below global need the interface too. */
function isScopedMulticast(bytes: Uint8Array): boolean {
  return bytes[0] === 0xff && (bytes[1]! & 0x0f) <= 0x2;
}

/** struct sockaddr_in (16 bytes) or sockaddr_in6 (28 bytes), port and address in network order. */
export function sockaddr(text: string, port: number, ifindex: number): Uint8Array {
  const bytes = addressBytes(parseAddress(text));
  if (bytes.length === 4) {
    const sa = new Uint8Array(16);
    const view = new DataView(sa.buffer);
    view.setUint16(0, AF_INET, true);
    view.setUint16(2, port, false);
    sa.set(bytes, 4);
    return sa;
  }
  const sa = new Uint8Array(28);
  const view = new DataView(sa.buffer);
  view.setUint16(0, AF_INET6, true);
  view.setUint16(2, port, false);
  sa.set(bytes, 8);
  const scoped = isLinkLocalUnicast(bytes) || isScopedMulticast(bytes);
  view.setUint32(24, scoped ? ifindex : 0, true);
  return sa;
}

function openUdp(family: BeatDestination["family"]): number {
  return socket(family === "IPv4" ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK, 0);
}

function openReceiver(destination: BeatDestination, port: number, ifindex: number): number {
  const fd = openUdp(destination.family);
  try {
    bind(fd, sockaddr(destination.listenOn, port, ifindex));
    if (destination.join !== undefined) {
      const group = addressBytes(parseAddress(destination.join));
      if (destination.family === "IPv4") {
        // struct ip_mreq: the group, then the local address of the interface to join it on.
        const mreq = new Uint8Array(8);
        mreq.set(group, 0);
        mreq.set(addressBytes(parseAddress(destination.bindAddress)), 4);
        setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, mreq, `IP_ADD_MEMBERSHIP ${destination.join}`);
      } else {
        const mreq = ipv6Mreq(group, ifindex);
        setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, mreq, `IPV6_JOIN_GROUP ${destination.join}`);
      }
    }
    return fd;
  } catch (error) {
    close(fd);
    throw error;
  }
}

function openSender(destination: BeatDestination, port: number, ifindex: number): number {
  const fd = openUdp(destination.family);
  try {
    bind(fd, sockaddr(destination.bindAddress, port, ifindex));
    if (destination.kind === "broadcast") {
      setsockoptInt(fd, SOL_SOCKET, SO_BROADCAST, 1, "SO_BROADCAST");
    } else if (destination.family === "IPv4") {
      // Link-local only, looped back to our own receiver (counted as "self": proof that sending works).
      setsockoptInt(fd, IPPROTO_IP, IP_MULTICAST_TTL, 1, "IP_MULTICAST_TTL");
      setsockoptInt(fd, IPPROTO_IP, IP_MULTICAST_LOOP, 1, "IP_MULTICAST_LOOP");
      const local = addressBytes(parseAddress(destination.bindAddress));
      setsockopt(fd, IPPROTO_IP, IP_MULTICAST_IF, local, "IP_MULTICAST_IF");
    } else {
      setsockoptInt(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 1, "IPV6_MULTICAST_HOPS");
      setsockoptInt(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 1, "IPV6_MULTICAST_LOOP");
      setsockoptInt(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, ifindex, "IPV6_MULTICAST_IF");
    }
    return fd;
  } catch (error) {
    close(fd);
    throw error;
  }
}

/** Opens both sockets; throws (with the errno text) when either cannot be made. */
export function openBeatSockets(destination: BeatDestination, port: number): BeatSockets {
  // IPv4 names the interface by its address (ip_mreq, IP_MULTICAST_IF); only IPv6 needs its index.
  const ifindex = destination.family === "IPv6" ? interfaceIndex(destination.ifname) : 0;
  const receiveFd = openReceiver(destination, port, ifindex);
  let sendFd: number;
  try {
    sendFd = openSender(destination, port, ifindex);
  } catch (error) {
    close(receiveFd);
    throw error;
  }
  const target = sockaddr(destination.sendTo, port, ifindex);
  let closed = false;
  return {
    receiveFd,
    send: (bytes) => (closed ? "socket closed" : sendTo(sendFd, bytes, target)),
    close() {
      if (closed) return;
      closed = true;
      close(sendFd);
      close(receiveFd);
    },
  };
}
