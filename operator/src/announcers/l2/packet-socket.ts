/**
 * LinkSocket on Linux: AF_PACKET SOCK_RAW sockets through bun:ffi, for ARP (ethertype 0x0806) and for
 * NDP (ethertype 0x86dd), each bound to one interface (`sockaddr_ll`), with one receive Worker for all
 * of them (`receive-worker.ts`). Needs CAP_NET_RAW (the speaker's only added capability).
 *
 * Why AF_PACKET for NDP too, and not an ICMPv6 raw socket (MetalLB's choice, via mdlayher/ndp):
 * - A unicast Neighbor Solicitation for a VIP (Linux's NUD probe once an entry goes STALE) is
 *   addressed to the VIP itself; the kernel does not own the VIP, drops it before any ICMPv6 socket
 *   sees it, and the client's entry fails after 3 unanswered probes. A packet socket sees the frame
 *   (it is addressed to our MAC) and we answer it, exactly as ARP's unicast probes are answered.
 * - The answer goes straight to the solicitor's link-layer address from the NS; an ICMPv6 socket would
 *   make the kernel resolve the solicitor first (an extra NS/NA round trip on a cold cache).
 * - One code path for both protocols; whole frames, so the codecs check what RFC 4861 asks (hop limit
 *   255, checksum, ...) on the bytes that arrived.
 * The cost, handled: the socket would see every IPv6 frame of the interface, so a classic BPF filter
 * (attached before bind, so nothing slips through) passes only ICMPv6 type 135 without extension
 * headers; and multicast membership still goes through the IPv6 stack (IPV6_JOIN_GROUP on a small
 * UDP socket per interface), so the NIC accepts the solicited-node group and MLD-snooping switches
 * learn that we want it. Our own frames are not looped back (PACKET_IGNORE_OUTGOING; older kernels:
 * dropped as `selfSent`).
 */

import {
  AF_INET6,
  AF_PACKET,
  addressOf,
  bind,
  close,
  errnoText,
  eventFd,
  IPPROTO_IPV6,
  IPV6_JOIN_GROUP,
  IPV6_LEAVE_GROUP,
  ipv6Mreq,
  PACKET_IGNORE_OUTGOING,
  SO_ATTACH_FILTER,
  SOCK_DGRAM,
  SOCK_RAW,
  SOL_PACKET,
  SOL_SOCKET,
  send,
  setsockopt,
  setsockoptInt,
  signalEventFd,
  socket,
} from "../../runtime/libc.ts";
import { ETHERTYPE_ARP, ETHERTYPE_IPV6 } from "./ethernet.ts";
import type { LinkInterface, LinkProtocol, LinkSocket, LinkSocketFactory } from "./link-socket.ts";
import { ICMPV6_NEIGHBOR_SOLICITATION, IPPROTO_ICMPV6 } from "./ndp.ts";
import workerSource from "./receive-worker.ts" with { type: "text" };

/** How long `close()` waits for the Worker to close its fds and say "stopped". */
const STOP_TIMEOUT_MS = 2000;

// Classic BPF (struct sock_filter: u16 code, u8 jt, u8 jf, u32 k).
const BPF_LD_H_ABS = 0x28;
const BPF_LD_B_ABS = 0x30;
const BPF_JEQ_K = 0x15;
const BPF_RET_K = 0x06;
const ACCEPT = 0x40000;

type Insn = [code: number, jt: number, jf: number, k: number];

/** The filter for a protocol: ARP frames only, or ICMPv6 Neighbor Solicitations only. */
export function bpfProgram(protocol: LinkProtocol): Insn[] {
  if (protocol === "arp") {
    return [
      [BPF_LD_H_ABS, 0, 0, 12],
      [BPF_JEQ_K, 0, 1, ETHERTYPE_ARP],
      [BPF_RET_K, 0, 0, ACCEPT],
      [BPF_RET_K, 0, 0, 0],
    ];
  }
  return [
    [BPF_LD_H_ABS, 0, 0, 12],
    [BPF_JEQ_K, 0, 5, ETHERTYPE_IPV6],
    [BPF_LD_B_ABS, 0, 0, 20], // IPv6 next header
    [BPF_JEQ_K, 0, 3, IPPROTO_ICMPV6],
    [BPF_LD_B_ABS, 0, 0, 54], // ICMPv6 type
    [BPF_JEQ_K, 0, 1, ICMPV6_NEIGHBOR_SOLICITATION],
    [BPF_RET_K, 0, 0, ACCEPT],
    [BPF_RET_K, 0, 0, 0],
  ];
}

function attachFilter(fd: number, program: Insn[]): void {
  const insns = new Uint8Array(program.length * 8);
  const view = new DataView(insns.buffer);
  program.forEach(([code, jt, jf, k], i) => {
    view.setUint16(i * 8, code, true);
    view.setUint8(i * 8 + 2, jt);
    view.setUint8(i * 8 + 3, jf);
    view.setUint32(i * 8 + 4, k, true);
  });
  // struct sock_fprog { unsigned short len; struct sock_filter *filter; } (pointer at offset 8).
  const fprog = new Uint8Array(16);
  const fview = new DataView(fprog.buffer);
  fview.setUint16(0, program.length, true);
  fview.setBigUint64(8, BigInt(addressOf(insns)), true);
  setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, fprog, "SO_ATTACH_FILTER");
}

/** struct sockaddr_ll for bind(): family, protocol (network order), ifindex. */
function sockaddrLl(etherType: number, ifindex: number): Uint8Array {
  const sa = new Uint8Array(20);
  const view = new DataView(sa.buffer);
  view.setUint16(0, AF_PACKET, true);
  view.setUint16(2, etherType, false);
  view.setInt32(4, ifindex, true);
  return sa;
}

/** The AF_PACKET socket of one interface and protocol, filtered, bound, outgoing frames ignored. */
function openPacketSocket(iface: LinkInterface, protocol: LinkProtocol): number {
  // Protocol 0: the socket receives nothing until bind(), so no unfiltered frame gets in first.
  const fd = socket(AF_PACKET, SOCK_RAW, 0);
  try {
    attachFilter(fd, bpfProgram(protocol));
    try {
      setsockoptInt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, 1, "PACKET_IGNORE_OUTGOING");
    } catch {
      // Linux < 4.20: our own frames come back and are dropped as selfSent.
    }
    bind(fd, sockaddrLl(protocol === "arp" ? ETHERTYPE_ARP : ETHERTYPE_IPV6, iface.index));
    return fd;
  } catch (err) {
    close(fd);
    throw err;
  }
}

class PacketLinkSocket implements LinkSocket {
  closed = false;
  constructor(
    private readonly owner: PacketLinkSocketFactory,
    readonly fd: number,
    /** AF_INET6 datagram socket used only for multicast membership (NDP). */
    private readonly groupFd: number | undefined,
    readonly iface: LinkInterface,
    readonly protocol: LinkProtocol,
    readonly onFrame: (frame: Uint8Array) => void,
  ) {}

  send(frame: Uint8Array): string | undefined {
    if (this.closed) return "socket closed";
    return send(this.fd, frame);
  }

  joinGroup(group: Uint8Array): string | undefined {
    return this.membership(IPV6_JOIN_GROUP, group);
  }

  leaveGroup(group: Uint8Array): string | undefined {
    return this.membership(IPV6_LEAVE_GROUP, group);
  }

  private membership(option: number, group: Uint8Array): string | undefined {
    if (this.groupFd === undefined || this.closed) return undefined;
    try {
      setsockopt(this.groupFd, IPPROTO_IPV6, option, ipv6Mreq(group, this.iface.index), "IPV6 membership");
      return undefined;
    } catch (err) {
      return (err as Error).message;
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    // Leaving the groups is implicit in closing their socket.
    if (this.groupFd !== undefined) close(this.groupFd);
    this.owner.retire(this);
  }
}

interface WorkerMessage {
  op: "ready" | "frame" | "error" | "closed" | "stopped";
  fd?: number;
  frame?: ArrayBuffer;
  error?: number;
}

/** The bun:ffi LinkSocketFactory. One per announcer; its Worker starts with the first socket. */
export class PacketLinkSocketFactory implements LinkSocketFactory {
  private worker: Worker | undefined;
  private workerUrl: string | undefined;
  private readonly stopFlag = new Int32Array(new SharedArrayBuffer(4));
  /** Messages posted after "init", counted before each is posted (receive-worker.ts). */
  private readonly posted = new Int32Array(new SharedArrayBuffer(4));
  /** Ours: the Worker polls it; closed once the Worker said "stopped" (left open if it never does). */
  private wakeFd: number | undefined;
  /** Sockets by packet fd; an fd stays here until the Worker says it closed it. */
  private readonly sockets = new Map<number, PacketLinkSocket>();
  private readonly workerOwned = new Set<number>();
  private stopping: Promise<void> | undefined;
  private stoppedResolve: (() => void) | undefined;
  onReceiveError: ((iface: string, protocol: LinkProtocol, error: string) => void) | undefined;

  open(iface: LinkInterface, protocol: LinkProtocol, onFrame: (frame: Uint8Array) => void): LinkSocket {
    if (this.stopping) throw new Error("link socket factory is closed");
    const fd = openPacketSocket(iface, protocol);
    let groupFd: number | undefined;
    if (protocol === "ndp") {
      try {
        groupFd = socket(AF_INET6, SOCK_DGRAM, 0);
      } catch (err) {
        close(fd);
        throw err;
      }
    }
    const s = new PacketLinkSocket(this, fd, groupFd, iface, protocol, onFrame);
    this.sockets.set(fd, s);
    this.post(this.ensureWorker(), { op: "add", fd });
    this.workerOwned.add(fd);
    return s;
  }

  /** Called by a socket's close(): the Worker closes the fd (it may be reading it right now). */
  retire(s: PacketLinkSocket): void {
    if (this.worker && this.workerOwned.has(s.fd)) this.post(this.worker, { op: "remove", fd: s.fd });
    else close(s.fd);
  }

  /**
   * Counts the message and wakes the Worker's poll, then posts it: counted first, so the Worker,
   * woken, keeps taking turns of its event loop until the message has arrived.
   */
  private post(worker: Worker, message: { op: "add" | "remove" | "stop"; fd?: number }): void {
    Atomics.add(this.posted, 0, 1);
    const error = this.wakeFd === undefined ? undefined : signalEventFd(this.wakeFd);
    // The Worker still sees the message within its poll bound (receive-worker.ts).
    if (error !== undefined) this.onReceiveError?.("*", "arp", `cannot wake the receive worker: ${error}`);
    worker.postMessage(message);
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    this.workerUrl = URL.createObjectURL(new Blob([workerSource], { type: "application/typescript" }));
    const wakeFd = eventFd();
    const worker = new Worker(this.workerUrl);
    worker.onmessage = (event: MessageEvent) => this.onWorkerMessage(event.data as WorkerMessage);
    worker.onerror = (event) => {
      this.onReceiveError?.("*", "arp", `receive worker failed: ${event.message}`);
      this.workerGone();
    };
    worker.postMessage({ op: "init", stop: this.stopFlag.buffer, posted: this.posted.buffer, wakeFd });
    this.wakeFd = wakeFd;
    this.worker = worker;
    return worker;
  }

  private onWorkerMessage(message: WorkerMessage): void {
    switch (message.op) {
      case "frame": {
        const s = this.sockets.get(message.fd!);
        if (s && !s.closed && message.frame) s.onFrame(new Uint8Array(message.frame));
        break;
      }
      case "error": {
        const s = this.sockets.get(message.fd!);
        if (s) this.onReceiveError?.(s.iface.name, s.protocol, errnoText(message.error ?? 0));
        break;
      }
      case "closed":
        this.sockets.delete(message.fd!);
        this.workerOwned.delete(message.fd!);
        break;
      case "stopped":
        // It polls no more: the wake eventfd can go.
        if (this.wakeFd !== undefined) close(this.wakeFd);
        this.wakeFd = undefined;
        this.stoppedResolve?.();
        break;
    }
  }

  /** The Worker died or never answered: close what it held ourselves (it can no longer read them). */
  private workerGone(): void {
    for (const fd of this.workerOwned) close(fd);
    this.workerOwned.clear();
    this.sockets.clear();
    this.stoppedResolve?.();
  }

  close(): Promise<void> {
    this.stopping ??= this.shutdown();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    for (const s of [...this.sockets.values()]) s.close();
    const worker = this.worker;
    if (worker) {
      const stopped = new Promise<void>((resolve) => {
        this.stoppedResolve = resolve;
      });
      Atomics.store(this.stopFlag, 0, 1);
      this.post(worker, { op: "stop" });
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), STOP_TIMEOUT_MS);
      });
      const late = await Promise.race([stopped.then(() => false), timedOut]);
      clearTimeout(timer);
      worker.terminate();
      if (late) this.workerGone();
    }
    if (this.workerUrl) URL.revokeObjectURL(this.workerUrl);
    this.worker = undefined;
  }
}

/** Whether this process may open packet sockets here (root or CAP_NET_RAW, and an AF_PACKET kernel). */
export function packetSocketsAvailable(): string | undefined {
  try {
    close(socket(AF_PACKET, SOCK_RAW, 0));
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
