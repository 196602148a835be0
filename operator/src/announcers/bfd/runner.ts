/**
 * The BFD sessions of one speaker over UDP, on a poll loop of their own (the BFD Worker's): one
 * receive socket per address family and port (3784 single hop, RFC 5881; 4784 multihop, RFC
 * 5883), one send socket per session from a fixed source port in 49152-65535 with TTL 255, and
 * each session's machine (machine.ts) woken by its own timer.
 *
 * Reception (RFC 5880 §6.8.6, RFC 5881 §5, RFC 5883 §2): the TTL comes with each datagram
 * (IP_RECVTTL / IPV6_RECVHOPLIMIT; IP_MINTTL is not enforced for UDP on Linux): 255 on single hop,
 * at least the profile's minimumTtl on multihop, else the packet is dropped. A packet is matched to
 * its session by Your Discriminator, or while that is 0 by its source address.
 */
import { type IPAddress, parseIP } from "../../domain/ip/index.ts";
import { sockaddr } from "../../membership/beat-sockets.ts";
import type { PollLoop } from "../../membership/poll-loop.ts";
import {
  AF_INET,
  AF_INET6,
  bind,
  close,
  EADDRINUSE,
  errnoText,
  IP_RECVTTL,
  IP_TTL,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPV6_RECVHOPLIMIT,
  IPV6_UNICAST_HOPS,
  MessageBuffers,
  receiveMessage,
  SOCK_DGRAM,
  SOCK_NONBLOCK,
  sendTo,
  setsockoptInt,
  socket,
} from "../../runtime/libc.ts";
import { addressBytes } from "../l2/addresses.ts";
import { BfdMachine, type BfdStateChange, type BfdTimers } from "./machine.ts";
import { type ControlPacket, decodePacket, encodePacket } from "./packet.ts";

export const SINGLE_HOP_PORT = 3784;
export const MULTIHOP_PORT = 4784;
const IPV6_V6ONLY = 26;
const EAGAIN = 11;

/** One BFD session as the speaker wants it: toward a BGPPeer's address, with its BFDProfile's timers. */
export interface BfdPeerSpec {
  /** The BGPPeer's name: the session's key in every message and metric. */
  readonly key: string;
  readonly peerAddress: string;
  /** The BGPPeer's sourceAddress, when it sets one. */
  readonly localAddress?: string;
  /** ebgpMultiHop peers use RFC 5883 (port 4784, minimumTtl). */
  readonly multihop: boolean;
  /** Multihop only: the lowest TTL accepted. */
  readonly minimumTtl: number;
  readonly timers: BfdTimers;
}

export interface BfdSessionCounters {
  readonly key: string;
  readonly state: string;
  readonly controlPacketsIn: number;
  readonly controlPacketsOut: number;
  readonly upEvents: number;
  readonly downEvents: number;
}

export interface BfdRunnerEvents {
  change(key: string, change: BfdStateChange): void;
  /** A packet dropped before reaching a session, or a send that failed. */
  problem(detail: string): void;
}

/** Where peers send to us, and where we send to them: RFC 5881/5883's, other values only in loopback tests. */
export interface BfdPorts {
  readonly listen: { readonly singleHop: number; readonly multihop: number };
  readonly peer: { readonly singleHop: number; readonly multihop: number };
}

export interface BfdRunnerOptions {
  readonly ports?: BfdPorts;
  readonly random?: () => number;
}

interface Session {
  spec: BfdPeerSpec;
  readonly machine: BfdMachine;
  readonly sendFd: number;
  readonly destination: Uint8Array;
  readonly peerBytes: string;
  timer: { cancel(): void } | undefined;
  controlPacketsIn: number;
  controlPacketsOut: number;
  upEvents: number;
  downEvents: number;
}

const bytesKey = (bytes: Uint8Array) => [...bytes].join(".");

function parsedOrThrow(address: string): IPAddress {
  const parsed = parseIP(address);
  if (parsed === undefined) throw new Error(`BFD: ${address} is not an IP address`);
  return parsed;
}

const familyOf = (address: string) => parsedOrThrow(address).family;

export class BfdRunner {
  private readonly sessions = new Map<string, Session>();
  private readonly byDiscriminator = new Map<number, Session>();
  /** "<family>/<port>" -> receive fd. */
  private readonly receivers = new Map<string, number>();
  private readonly buffers = new MessageBuffers(128);
  private readonly listenPorts;
  private readonly peerPorts;
  private readonly random: () => number;

  constructor(
    private readonly loop: PollLoop,
    private readonly events: BfdRunnerEvents,
    options: BfdRunnerOptions = {},
  ) {
    const standard = { singleHop: SINGLE_HOP_PORT, multihop: MULTIHOP_PORT };
    this.listenPorts = options.ports?.listen ?? standard;
    this.peerPorts = options.ports?.peer ?? standard;
    this.random = options.random ?? Math.random;
  }

  /** Makes the sessions exactly these: new ones start Down, gone ones send AdminDown and end. */
  setDesired(specs: readonly BfdPeerSpec[]): void {
    const wanted = new Map(specs.map((s) => [s.key, s]));
    for (const [key, session] of this.sessions) {
      const spec = wanted.get(key);
      if (spec === undefined || !sameEndpoints(spec, session.spec)) this.end(session);
    }
    for (const spec of specs) {
      const session = this.sessions.get(spec.key);
      if (session === undefined) this.start(spec);
      else if (!sameTimers(session.spec.timers, spec.timers)) {
        session.spec = spec;
        session.machine.reconfigure(spec.timers, performance.now());
        this.schedule(session);
      }
    }
    this.closeUnusedReceivers();
  }

  counters(): BfdSessionCounters[] {
    return [...this.sessions.values()].map((s) => ({
      key: s.spec.key,
      state: s.machine.state,
      controlPacketsIn: s.controlPacketsIn,
      controlPacketsOut: s.controlPacketsOut,
      upEvents: s.upEvents,
      downEvents: s.downEvents,
    }));
  }

  /** Planned stop: every session sends AdminDown (RFC 5882 §3.2) and every socket closes. */
  stop(): void {
    for (const session of [...this.sessions.values()]) this.end(session);
    this.closeUnusedReceivers();
  }

  private start(spec: BfdPeerSpec): void {
    const family = familyOf(spec.peerAddress);
    this.receiver(family, spec.multihop ? this.listenPorts.multihop : this.listenPorts.singleHop);
    const port = spec.multihop ? this.peerPorts.multihop : this.peerPorts.singleHop;
    const sendFd = this.openSender(family, spec.localAddress);
    let discriminator = 0;
    while (discriminator === 0 || this.byDiscriminator.has(discriminator)) {
      discriminator = Math.floor(this.random() * 0xffffffff) >>> 0;
    }
    const peerBytes = addressBytes(parsedOrThrow(spec.peerAddress));
    const session: Session = {
      spec,
      machine: new BfdMachine(discriminator, spec.timers, performance.now(), this.random),
      sendFd,
      destination: sockaddr(spec.peerAddress, port, 0),
      peerBytes: bytesKey(peerBytes),
      timer: undefined,
      controlPacketsIn: 0,
      controlPacketsOut: 0,
      upEvents: 0,
      downEvents: 0,
    };
    this.sessions.set(spec.key, session);
    this.byDiscriminator.set(discriminator, session);
    this.schedule(session);
  }

  private end(session: Session): void {
    session.timer?.cancel();
    if (session.machine.state !== "Down" || session.machine.remoteDiscriminator !== 0) {
      this.send(session, session.machine.adminDown(performance.now()));
    }
    this.report(session);
    close(session.sendFd);
    this.sessions.delete(session.spec.key);
    this.byDiscriminator.delete(session.machine.localDiscriminator);
  }

  private receiver(family: "ipv4" | "ipv6", port: number): number {
    const id = `${family}/${port}`;
    const existing = this.receivers.get(id);
    if (existing !== undefined) return existing;
    const fd = socket(family === "ipv4" ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    try {
      if (family === "ipv4") setsockoptInt(fd, IPPROTO_IP, IP_RECVTTL, 1, "IP_RECVTTL");
      else {
        setsockoptInt(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1, "IPV6_V6ONLY");
        setsockoptInt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1, "IPV6_RECVHOPLIMIT");
      }
      bind(fd, sockaddr(family === "ipv4" ? "0.0.0.0" : "::", port, 0));
    } catch (error) {
      close(fd);
      throw error;
    }
    this.receivers.set(id, fd);
    this.loop.watch(fd, () => this.drain(fd, port === this.listenPorts.multihop));
    return fd;
  }

  private closeUnusedReceivers(): void {
    const used = new Set<string>();
    for (const s of this.sessions.values()) {
      used.add(
        `${familyOf(s.spec.peerAddress)}/${s.spec.multihop ? this.listenPorts.multihop : this.listenPorts.singleHop}`,
      );
    }
    for (const [id, fd] of this.receivers) {
      if (used.has(id)) continue;
      this.loop.unwatch(fd);
      close(fd);
      this.receivers.delete(id);
    }
  }

  /** A send socket with TTL 255 (RFC 5881 §5) from a source port of 49152-65535 (RFC 5881 §4). */
  private openSender(family: "ipv4" | "ipv6", localAddress: string | undefined): number {
    const fd = socket(family === "ipv4" ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    try {
      if (family === "ipv4") setsockoptInt(fd, IPPROTO_IP, IP_TTL, 255, "IP_TTL");
      else setsockoptInt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 255, "IPV6_UNICAST_HOPS");
      const wildcard = family === "ipv4" ? "0.0.0.0" : "::";
      for (let attempt = 0; ; attempt++) {
        const port = 49152 + Math.floor(this.random() * 16384);
        try {
          bind(fd, sockaddr(localAddress ?? wildcard, port, 0));
          return fd;
        } catch (error) {
          if (attempt >= 20 || !String(error).includes(errnoText(EADDRINUSE))) throw error;
        }
      }
    } catch (error) {
      close(fd);
      throw error;
    }
  }

  private drain(fd: number, multihop: boolean): void {
    for (;;) {
      const got = receiveMessage(fd, this.buffers);
      if (typeof got === "number") {
        if (got !== -EAGAIN) this.events.problem(`BFD receive: ${errnoText(-got)}`);
        return;
      }
      const decoded = decodePacket(
        this.buffers.data.subarray(0, Math.min(got.length, this.buffers.data.length)),
      );
      if (!decoded.ok) continue;
      const packet = decoded.packet;
      const session =
        packet.yourDiscriminator !== 0
          ? this.byDiscriminator.get(packet.yourDiscriminator)
          : [...this.sessions.values()].find(
              (s) => s.peerBytes === bytesKey(got.source) && s.spec.multihop === multihop,
            );
      if (session === undefined || session.peerBytes !== bytesKey(got.source)) continue;
      // GTSM (RFC 5881 §5, RFC 5883 §2): a packet from farther than allowed is not the peer's.
      const minimumTtl = multihop ? session.spec.minimumTtl : 255;
      if (got.ttl === undefined || got.ttl < minimumTtl) continue;
      session.controlPacketsIn++;
      const { reply } = session.machine.receive(packet, performance.now());
      if (reply) this.send(session, reply);
      this.report(session);
      this.schedule(session);
    }
  }

  private schedule(session: Session): void {
    session.timer?.cancel();
    const deadline = session.machine.nextDeadline();
    if (deadline === undefined) {
      session.timer = undefined;
      return;
    }
    session.timer = this.loop.setTimer(deadline - performance.now(), () => {
      session.timer = undefined;
      const packet = session.machine.tick(performance.now());
      if (packet) this.send(session, packet);
      this.report(session);
      this.schedule(session);
    });
  }

  private send(session: Session, packet: ControlPacket): void {
    const error = sendTo(session.sendFd, encodePacket(packet), session.destination);
    if (error === undefined) session.controlPacketsOut++;
    else this.events.problem(`BFD send to ${session.spec.peerAddress}: ${error}`);
  }

  private report(session: Session): void {
    for (const change of session.machine.takeChanges()) {
      if (change.to === "Up") session.upEvents++;
      if (change.from === "Up") session.downEvents++;
      this.events.change(session.spec.key, change);
    }
  }
}

function sameEndpoints(a: BfdPeerSpec, b: BfdPeerSpec): boolean {
  return (
    a.peerAddress === b.peerAddress &&
    a.localAddress === b.localAddress &&
    a.multihop === b.multihop &&
    a.minimumTtl === b.minimumTtl
  );
}

function sameTimers(a: BfdTimers, b: BfdTimers): boolean {
  return (
    a.desiredMinTxUs === b.desiredMinTxUs &&
    a.requiredMinRxUs === b.requiredMinRxUs &&
    a.detectMult === b.detectMult &&
    a.passive === b.passive
  );
}
