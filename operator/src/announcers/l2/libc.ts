/**
 * The few libc calls the link layer needs, through bun:ffi (runtime-facts: `raw-socket` does not load
 * in Bun and has no AF_PACKET). Linux x86-64/arm64 values; glibc's `libc.so.6` (Debian, and the
 * oven/bun images). Loaded on first use, so importing this file costs nothing.
 *
 * The receive Worker (`receive-worker.ts`) loads its own copy of poll/recv/close: a Worker started
 * from a Blob cannot import this file.
 */
import { dlopen, FFIType, type Pointer, ptr, read } from "bun:ffi";

export const AF_INET6 = 10;
export const AF_PACKET = 17;
export const SOCK_DGRAM = 2;
export const SOCK_RAW = 3;
export const SOCK_CLOEXEC = 0o2000000;
export const SOL_SOCKET = 1;
export const SO_ATTACH_FILTER = 26;
export const SOL_PACKET = 263;
export const PACKET_IGNORE_OUTGOING = 23;
export const IPPROTO_IPV6 = 41;
export const IPV6_JOIN_GROUP = 20;
export const IPV6_LEAVE_GROUP = 21;

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
  105: "ENOBUFS",
};

export function errnoText(errno: number): string {
  return `${ERRNO_NAMES[errno] ?? "errno"} (${errno})`;
}

function load() {
  return dlopen("libc.so.6", {
    socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
    bind: { args: [FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
    setsockopt: {
      args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.u32],
      returns: FFIType.i32,
    },
    send: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32], returns: FFIType.i64_fast },
    close: { args: [FFIType.i32], returns: FFIType.i32 },
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

/** Sends a whole buffer; an error text (errno) instead of throwing. */
export function send(fd: number, data: Uint8Array): string | undefined {
  const n = Number(libc().send(fd, ptr(data), data.byteLength, 0));
  if (n < 0) return errnoText(errno());
  if (n !== data.byteLength) return `short send: ${n} of ${data.byteLength} bytes`;
  return undefined;
}

export function close(fd: number): void {
  libc().close(fd);
}

/** The address of a typed array, for structures that hold pointers (sock_fprog). */
export function addressOf(data: Uint8Array): number {
  return ptr(data);
}
