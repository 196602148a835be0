/**
 * The few libc calls the speaker's sockets need, through bun:ffi (docs/dependencies.md: `raw-socket` does
 * not load in Bun and has no AF_PACKET): the link layer's packet sockets and the membership's UDP
 * sockets and poll loop. Linux x86-64/arm64 values; glibc's `libc.so.6` (Debian, and the oven/bun
 * images). Loaded on first use in each thread, so importing this file costs nothing.
 *
 * The ARP/NDP receive Worker (`announcers/l2/receive-worker.ts`) loads its own copy of
 * poll/recv/close: a Worker started from a Blob cannot import this file.
 */
import { dlopen, FFIType, type Pointer, ptr, read } from "bun:ffi";

export const AF_INET6 = 10;
export const AF_PACKET = 17;
export const SOCK_DGRAM = 2;
export const SOCK_RAW = 3;
export const AF_INET = 2;
export const SOCK_NONBLOCK = 0o4000;
export const SOCK_CLOEXEC = 0o2000000;
export const SOL_SOCKET = 1;
export const SO_BROADCAST = 6;
export const IPPROTO_IP = 0;
export const IP_MULTICAST_IF = 32;
export const IP_MULTICAST_TTL = 33;
export const IP_MULTICAST_LOOP = 34;
export const IP_ADD_MEMBERSHIP = 35;
export const IPV6_MULTICAST_IF = 17;
export const IPV6_MULTICAST_HOPS = 18;
export const IPV6_MULTICAST_LOOP = 19;
export const POLLIN = 0x1;
export const POLLERR = 0x8;
export const POLLHUP = 0x10;
export const POLLNVAL = 0x20;
const MSG_TRUNC = 0x20;
const MSG_DONTWAIT = 0x40;
const EFD_NONBLOCK = 0o4000;
const EFD_CLOEXEC = 0o2000000;
const PR_SET_NAME = 15;
/** The kernel keeps 15 bytes of a thread's name (TASK_COMM_LEN 16, with the NUL). */
const THREAD_NAME_BYTES = 15;
export const SO_ATTACH_FILTER = 26;
export const SOL_PACKET = 263;
export const PACKET_IGNORE_OUTGOING = 23;
export const IPPROTO_IPV6 = 41;
export const IPV6_JOIN_GROUP = 20;
export const IPV6_LEAVE_GROUP = 21;
export const SOCK_STREAM = 1;
export const SO_ERROR = 4;
export const IPPROTO_TCP = 6;
export const IP_TTL = 2;
export const IPV6_UNICAST_HOPS = 16;
/** RFC 2385 signatures (include/uapi/linux/tcp.h). */
export const TCP_MD5SIG = 14;
/** The longest TCP MD5 key Linux takes (TCP_MD5SIG_MAXKEYLEN). */
export const TCP_MD5SIG_MAXKEYLEN = 80;
export const POLLOUT = 0x4;
export const EINPROGRESS = 115;
export const EADDRINUSE = 98;
export const SO_REUSEADDR = 2;
/** Ask for the received TTL (IPv4) or hop limit (IPv6) as ancillary data of recvmsg. */
export const IP_RECVTTL = 12;
export const IPV6_RECVHOPLIMIT = 51;
const IPV6_HOPLIMIT = 52;

const ERRNO_NAMES: Record<number, string> = {
  1: "EPERM",
  6: "ENXIO",
  9: "EBADF",
  11: "EAGAIN",
  13: "EACCES",
  19: "ENODEV",
  22: "EINVAL",
  24: "EMFILE",
  90: "EMSGSIZE",
  93: "EPROTONOSUPPORT",
  97: "EAFNOSUPPORT",
  98: "EADDRINUSE",
  99: "EADDRNOTAVAIL",
  100: "ENETDOWN",
  92: "ENOPROTOOPT",
  101: "ENETUNREACH",
  104: "ECONNRESET",
  105: "ENOBUFS",
  110: "ETIMEDOUT",
  111: "ECONNREFUSED",
  113: "EHOSTUNREACH",
  115: "EINPROGRESS",
};

export function errnoText(errno: number): string {
  return `${ERRNO_NAMES[errno] ?? "errno"} (${errno})`;
}

function load() {
  return dlopen("libc.so.6", {
    socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
    bind: { args: [FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
    connect: { args: [FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
    getsockopt: {
      args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.ptr],
      returns: FFIType.i32,
    },
    setsockopt: {
      args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.u32],
      returns: FFIType.i32,
    },
    send: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i64_fast },
    sendto: {
      args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32, FFIType.ptr, FFIType.u32],
      returns: FFIType.i64_fast,
    },
    recv: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i64_fast },
    recvmsg: { args: [FFIType.i32, FFIType.ptr, FFIType.i32], returns: FFIType.i64_fast },
    read: { args: [FFIType.i32, FFIType.ptr, FFIType.u64], returns: FFIType.i64_fast },
    write: { args: [FFIType.i32, FFIType.ptr, FFIType.u64], returns: FFIType.i64_fast },
    poll: { args: [FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i32 },
    eventfd: { args: [FFIType.u32, FFIType.i32], returns: FFIType.i32 },
    if_nametoindex: { args: [FFIType.ptr], returns: FFIType.u32 },
    close: { args: [FFIType.i32], returns: FFIType.i32 },
    shutdown: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
    prctl: { args: [FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
    __errno_location: { args: [], returns: FFIType.ptr },
  }).symbols;
}

let symbols: ReturnType<typeof load> | undefined;
function libc(): ReturnType<typeof load> {
  symbols ??= load();
  return symbols;
}

/** errno of this thread, read right after a failed call. */
function errno(): number {
  return read.i32(libc().__errno_location() as Pointer, 0);
}

/** Runs a libc call; a negative result becomes an Error carrying the errno text. */
function check(what: string, result: number | bigint): number {
  if (Number(result) < 0) throw new Error(`${what}: ${errnoText(errno())}`);
  return Number(result);
}

export function socket(domain: number, type: number, protocol: number): number {
  return check("socket", libc().socket(domain, type | SOCK_CLOEXEC, protocol));
}

export function bind(fd: number, address: Uint8Array): void {
  check("bind", libc().bind(fd, ptr(address), address.byteLength));
}

export function setsockopt(fd: number, level: number, name: number, value: Uint8Array, what: string): void {
  check(`setsockopt ${what}`, libc().setsockopt(fd, level, name, ptr(value), value.byteLength));
}

export function setsockoptInt(fd: number, level: number, name: number, value: number, what: string): void {
  const buf = new Int32Array([value]);
  check(`setsockopt ${what}`, libc().setsockopt(fd, level, name, ptr(buf), 4));
}

/** Starts connect(2) on a socket; 0 when connected at once, else -errno (-EINPROGRESS when non-blocking). */
export function connectNow(fd: number, address: Uint8Array): number {
  const result = libc().connect(fd, ptr(address), address.byteLength);
  return result < 0 ? -errno() : 0;
}

/** getsockopt(SOL_SOCKET, SO_ERROR): the pending error of a socket (0: none), which it also clears. */
export function socketError(fd: number): number {
  const value = new Int32Array(1);
  const length = new Uint32Array([4]);
  const result = libc().getsockopt(fd, SOL_SOCKET, SO_ERROR, ptr(value), ptr(length));
  return result < 0 ? errno() : value[0]!;
}

/**
 * struct tcp_md5sig (216 bytes) for setsockopt(IPPROTO_TCP, TCP_MD5SIG): the peer as a
 * sockaddr_storage (family u16 host order at 0; IPv4 address at 4, IPv6 address at 8), flags 0,
 * prefix length 0, key length u16 host order at 130, ifindex 0, key at 136. `peer` is 4 or 16
 * address bytes in network order (an AF_INET6 socket to an IPv4 peer keys ::ffff:a.b.c.d). An empty
 * key deletes the peer's key.
 */
export function tcpMd5Sig(peer: Uint8Array, key: Uint8Array): Uint8Array {
  if (key.byteLength > TCP_MD5SIG_MAXKEYLEN) {
    throw new Error(`TCP MD5 key of ${key.byteLength} bytes: at most ${TCP_MD5SIG_MAXKEYLEN}`);
  }
  const sig = new Uint8Array(216);
  const view = new DataView(sig.buffer);
  if (peer.byteLength === 4) {
    view.setUint16(0, AF_INET, true);
    sig.set(peer, 4);
  } else {
    view.setUint16(0, AF_INET6, true);
    sig.set(peer.subarray(0, 16), 8);
  }
  view.setUint16(130, key.byteLength, true);
  sig.set(key, 136);
  return sig;
}

/** Sends a whole buffer; an error text (errno) instead of throwing. */
export function send(fd: number, data: Uint8Array): string | undefined {
  const n = Number(libc().send(fd, ptr(data), data.byteLength, 0));
  if (n < 0) return errnoText(errno());
  if (n !== data.byteLength) return `short send: ${n} of ${data.byteLength} bytes`;
  return undefined;
}

/** Sends a whole datagram to an address (sockaddr bytes); an error text (errno) instead of throwing. */
export function sendTo(fd: number, data: Uint8Array, address: Uint8Array): string | undefined {
  const n = Number(libc().sendto(fd, ptr(data), data.byteLength, 0, ptr(address), address.byteLength));
  if (n < 0) return errnoText(errno());
  if (n !== data.byteLength) return `short send: ${n} of ${data.byteLength} bytes`;
  return undefined;
}

/**
 * One datagram without waiting (MSG_DONTWAIT | MSG_TRUNC): its real length (which may exceed the
 * buffer; the rest was cut), or -errno (-EAGAIN: nothing queued).
 */
export function receiveNow(fd: number, buffer: Uint8Array): number {
  const n = Number(libc().recv(fd, ptr(buffer), buffer.byteLength, MSG_DONTWAIT | MSG_TRUNC));
  return n < 0 ? -errno() : n;
}

/** One datagram with where it came from and the TTL / hop limit it arrived with. */
export interface ReceivedDatagram {
  /** Its real length (the buffer holds at most its size of it). */
  readonly length: number;
  /** The source address: 4 or 16 bytes, network order. */
  readonly source: Uint8Array;
  readonly sourcePort: number;
  /** The IPv4 TTL or IPv6 hop limit, when the socket asked for it (IP_RECVTTL, IPV6_RECVHOPLIMIT). */
  readonly ttl: number | undefined;
}

/**
 * Buffers for receiveMessage, reused across calls: struct msghdr (56 bytes on 64-bit Linux), one
 * iovec, a sockaddr_in6-sized name and room for one int-sized control message.
 */
export class MessageBuffers {
  readonly data: Uint8Array;
  readonly name = new Uint8Array(28);
  readonly control = new Uint8Array(64);
  readonly iov = new Uint8Array(16);
  readonly header = new Uint8Array(56);

  constructor(size: number) {
    this.data = new Uint8Array(size);
  }

  /**
   * Fills in the header for one call (recvmsg writes back the lengths). The addresses are taken
   * anew each time: a small typed array's storage may move between calls, and a pointer kept from
   * the constructor then points at memory the array no longer uses.
   */
  reset(): Uint8Array {
    const iov = new DataView(this.iov.buffer);
    iov.setBigUint64(0, BigInt(ptr(this.data)), true);
    iov.setBigUint64(8, BigInt(this.data.byteLength), true);
    const h = new DataView(this.header.buffer);
    h.setBigUint64(0, BigInt(ptr(this.name)), true);
    h.setUint32(8, this.name.byteLength, true);
    h.setBigUint64(16, BigInt(ptr(this.iov)), true);
    h.setBigUint64(24, 1n, true);
    h.setBigUint64(32, BigInt(ptr(this.control)), true);
    h.setBigUint64(40, BigInt(this.control.byteLength), true);
    h.setInt32(48, 0, true);
    return this.header;
  }
}

/**
 * recvmsg(2) of one datagram without waiting: the datagram in `buffers.data`, its source and its
 * TTL, or -errno (-EAGAIN: nothing queued).
 */
export function receiveMessage(fd: number, buffers: MessageBuffers): ReceivedDatagram | number {
  const header = buffers.reset();
  const n = Number(libc().recvmsg(fd, ptr(header), MSG_DONTWAIT | MSG_TRUNC));
  if (n < 0) return -errno();
  const h = new DataView(header.buffer);
  const name = new DataView(buffers.name.buffer);
  const family = name.getUint16(0, true);
  const sourcePort = name.getUint16(2, false);
  const source = family === AF_INET6 ? buffers.name.slice(8, 24) : buffers.name.slice(4, 8);
  let ttl: number | undefined;
  const controlLength = Number(h.getBigUint64(40, true));
  const control = new DataView(buffers.control.buffer);
  // struct cmsghdr: cmsg_len (size_t), cmsg_level (int), cmsg_type (int), then the data, 8-aligned.
  for (let offset = 0; offset + 16 <= controlLength; ) {
    const length = Number(control.getBigUint64(offset, true));
    if (length < 16) break;
    const level = control.getInt32(offset + 8, true);
    const type = control.getInt32(offset + 12, true);
    if ((level === IPPROTO_IP && type === IP_TTL) || (level === IPPROTO_IPV6 && type === IPV6_HOPLIMIT)) {
      ttl = control.getInt32(offset + 16, true);
    }
    offset += (length + 7) & ~7;
  }
  return { length: n, source, sourcePort, ttl };
}

/**
 * poll(2) over a struct pollfd array (8 bytes each: fd i32, events i16, revents i16). The number of
 * ready entries, or -errno.
 */
export function pollFds(pollfds: Uint8Array, count: number, timeoutMs: number): number {
  const n = libc().poll(ptr(pollfds), count, timeoutMs);
  return n < 0 ? -errno() : n;
}

/** A non-blocking eventfd (a counter another thread bumps with an 8-byte write to wake a poll). */
export function eventFd(): number {
  return check("eventfd", libc().eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
}

/** What signalEventFd adds to the counter. */
const EVENTFD_INCREMENT = new BigUint64Array([1n]);

/** Adds one to an eventfd's counter (an 8-byte write), which wakes a poll on it; an error text instead of throwing. */
export function signalEventFd(fd: number): string | undefined {
  const n = Number(libc().write(fd, ptr(EVENTFD_INCREMENT), 8));
  return n < 0 ? errnoText(errno()) : undefined;
}

/** Reads and resets an eventfd's counter (0 when it was not set). */
export function drainEventFd(fd: number): void {
  const counter = new BigUint64Array(1);
  libc().read(fd, ptr(counter), 8);
}

/** struct ipv6_mreq (IPV6_JOIN_GROUP, IPV6_LEAVE_GROUP): the group (16 bytes), the interface index. */
export function ipv6Mreq(group: Uint8Array, ifindex: number): Uint8Array {
  const mreq = new Uint8Array(20);
  mreq.set(group.subarray(0, 16), 0);
  new DataView(mreq.buffer).setUint32(16, ifindex, true);
  return mreq;
}

/** The index of an interface by name; throws when there is none. */
export function interfaceIndex(name: string): number {
  const index = libc().if_nametoindex(ptr(new TextEncoder().encode(`${name}\0`)));
  if (index === 0) throw new Error(`if_nametoindex ${name}: ${errnoText(errno())}`);
  return index;
}

export function close(fd: number): void {
  libc().close(fd);
}

const SHUT_WR = 1;

/** shutdown(SHUT_WR): sends FIN, the socket still reads; 0 or -errno. */
export function shutdownWrite(fd: number): number {
  return libc().shutdown(fd, SHUT_WR) < 0 ? -errno() : 0;
}

/** The address of a typed array, for structures that hold pointers (sock_fprog). */
export function addressOf(data: Uint8Array): number {
  return ptr(data);
}

/**
 * Names the calling thread (prctl PR_SET_NAME), as `top -H`, `ps -L` and /proc/<pid>/task/<tid>/comm
 * show it: Bun names every Worker thread "Worker". Best effort: a failure only leaves the old name.
 */
export function setThreadName(name: string): void {
  const bytes = new Uint8Array(THREAD_NAME_BYTES + 1);
  bytes.set(new TextEncoder().encode(name).subarray(0, THREAD_NAME_BYTES));
  libc().prctl(PR_SET_NAME, ptr(bytes));
}
