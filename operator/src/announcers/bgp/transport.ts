/**
 * The TCP connection of one BGP session. A plain session dials with Bun.connect. A session with a
 * password (TCP MD5, RFC 2385), a TTL rule or a source address needs socket options before the
 * SYN, so it builds the socket through bun:ffi (socket, setsockopt, bind, non-blocking connect),
 * waits until the kernel reports the connect finished (POLLOUT, then SO_ERROR), and only then hands
 * the descriptor to Bun.connect({ fd }): Bun reports `open` at once for a descriptor still
 * connecting, even one a peer with another key will never answer (measured under Bun 1.4.5).
 * A session offering graceful restart takes the FFI path too: its quiet close is a half-close on
 * that descriptor (Bun's own end() and shutdown() close the socket at once, measured under Bun
 * 1.4.5), and the peer's FIN back says its BGP daemon has read the end of the session.
 */
import type { Socket } from "bun";
import type { BgpSessionSpec } from "../../domain/bgp/types.ts";
import { parseIP } from "../../domain/ip/index.ts";
import { sockaddr } from "../../membership/beat-sockets.ts";
import {
  AF_INET,
  AF_INET6,
  bind,
  close,
  connectNow,
  EINPROGRESS,
  errnoText,
  IP_TTL,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPPROTO_TCP,
  IPV6_UNICAST_HOPS,
  POLLOUT,
  pollFds,
  SOCK_NONBLOCK,
  SOCK_STREAM,
  setsockopt,
  setsockoptInt,
  shutdownWrite,
  socket,
  socketError,
  TCP_MD5SIG,
  TCP_MD5SIG_MAXKEYLEN,
  tcpMd5Sig,
} from "../../runtime/libc.ts";
import { addressBytes } from "../l2/addresses.ts";

/** What the connection reports back; at most one `closed`. */
export interface ConnectionHandlers {
  data(chunk: Uint8Array): void;
  closed(detail: string | undefined): void;
}

/** How a quiet close ended: the peer closed too, the wait ran out, or no half-close was possible. */
export type QuietCloseOutcome = "peerClosed" | "timedOut" | "noHalfClose";

export interface BgpConnection {
  readonly localAddress: string;
  /** Queues bytes; they go out in order as the socket takes them. */
  write(bytes: Uint8Array): void;
  /** Bytes queued and not yet taken by the kernel. */
  readonly pending: number;
  /** Resolves once everything queued so far was taken by the kernel (or the connection closed). */
  drained(): Promise<void>;
  /** Closes once the queue drained, or after graceMs at the latest. No `closed` callback follows. */
  close(graceMs?: number): void;
  /**
   * Sends what is queued, then FIN, and reads on until the peer closes its side too (graceMs at
   * the latest); resolves then, the socket closed, with whether the peer's FIN came. Without a
   * descriptor of our own, a plain close ("noHalfClose").
   */
  closeAfterPeer(graceMs: number): Promise<QuietCloseOutcome>;
}

export interface DialAttempt {
  /** The connection, or an error text (refused, unreachable, socket option failed). */
  readonly result: Promise<BgpConnection | string>;
  /** Gives up: a connection that still arrives is closed at once. */
  abort(): void;
}

export type Dialer = (spec: BgpSessionSpec, handlers: ConnectionHandlers) => DialAttempt;

/** TTL for the session's packets (as FRR sets them): 1 single-hop eBGP, 255 multi-hop, iBGP unchanged. */
export function ttlFor(spec: BgpSessionSpec): number | undefined {
  const internal = spec.peerASN !== undefined ? spec.peerASN === spec.myASN : spec.dynamicASN === "internal";
  if (internal) return undefined;
  if (spec.peerASN === undefined && spec.dynamicASN === undefined) return undefined;
  return spec.ebgpMultiHop ? 255 : 1;
}

/** Whether the session needs the FFI socket (options before the SYN). */
export function needsRawSocket(spec: BgpSessionSpec): boolean {
  return spec.password !== undefined || spec.sourceAddress !== undefined || ttlFor(spec) !== undefined;
}

class QueuedConnection implements BgpConnection {
  private queue: Uint8Array[] = [];
  private queued = 0;
  private waiters: (() => void)[] = [];
  private closing = false;
  private done = false;
  /** The session asked for the close: no `closed` report. */
  closedByUs = false;
  private graceTimer: ReturnType<typeof setTimeout> | undefined;
  private peerGone: (() => void) | undefined;

  /** `fd`: the descriptor under `socket` when we built it (FFI path), for a half-close. */
  constructor(
    private readonly socket: Socket<undefined>,
    private readonly fd?: number,
  ) {}

  get localAddress(): string {
    return this.socket.localAddress;
  }

  get pending(): number {
    return this.queued;
  }

  write(bytes: Uint8Array): void {
    if (this.done || this.closing) return;
    this.queue.push(bytes);
    this.queued += bytes.byteLength;
    if (this.queue.length === 1) this.flush();
  }

  /** Called from the socket's drain handler, and after each write. */
  flush(): void {
    while (this.queue.length > 0 && !this.done) {
      const head = this.queue[0]!;
      const written = this.socket.write(head);
      if (written < 0) {
        this.finish();
        return;
      }
      this.queued -= Math.max(0, written);
      if (written < head.byteLength) {
        this.queue[0] = head.subarray(Math.max(0, written));
        return;
      }
      this.queue.shift();
    }
    if (this.queue.length === 0) this.wake();
  }

  drained(): Promise<void> {
    if (this.queued === 0 || this.done) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  close(graceMs = 1000): void {
    if (this.done || this.closing) return;
    this.closing = true;
    this.closedByUs = true;
    if (this.queued === 0) {
      this.finish();
      return;
    }
    this.graceTimer = setTimeout(() => this.finish(), graceMs);
    void this.drained().then(() => this.finish());
  }

  async closeAfterPeer(graceMs: number): Promise<QuietCloseOutcome> {
    if (this.done) return "peerClosed";
    if (this.closing) return "noHalfClose";
    this.closing = true;
    this.closedByUs = true;
    const started = performance.now();
    await Promise.race([this.drained(), Bun.sleep(graceMs)]);
    if (this.done) return "peerClosed";
    const left = graceMs - (performance.now() - started);
    if (left <= 0) {
      this.finish();
      return "timedOut";
    }
    if (this.fd === undefined || shutdownWrite(this.fd) !== 0) {
      this.finish();
      return "noHalfClose";
    }
    const peerClosed = new Promise<QuietCloseOutcome>((resolve) => {
      this.peerGone = () => resolve("peerClosed");
    });
    const outcome = await Promise.race([peerClosed, Bun.sleep(left).then(() => "timedOut" as const)]);
    this.finish();
    return outcome;
  }

  /** The peer or the kernel closed it. */
  lost(): void {
    this.done = true;
    this.queue = [];
    this.queued = 0;
    this.wake();
    this.peerGone?.();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    if (this.graceTimer) clearTimeout(this.graceTimer);
    this.queue = [];
    this.queued = 0;
    this.wake();
    this.socket.end();
  }
}

/**
 * Wires Bun's socket callbacks to the handlers; `closed` fires only for a close we did not ask for.
 */
function socketHandlers(handlers: ConnectionHandlers, connection: () => QueuedConnection | undefined) {
  let reported = false;
  const report = (detail: string | undefined) => {
    const current = connection();
    current?.lost();
    if (reported || current?.closedByUs) return;
    reported = true;
    handlers.closed(detail);
  };
  return {
    // The framer keeps chunks until their messages are complete; Bun may reuse its buffer.
    data: (_socket: Socket<undefined>, chunk: Uint8Array) => handlers.data(new Uint8Array(chunk)),
    drain: () => connection()?.flush(),
    close: (_socket: Socket<undefined>, error?: Error) => report(error?.message),
    error: (_socket: Socket<undefined>, error: Error) => report(error.message),
    end: () => report("peer closed the connection"),
  };
}

/**
 * Dials one session: Bun.connect for a plain session, the FFI socket when options are needed.
 * `closed` is not called for a close the session asked for (BgpConnection.close) or after abort.
 */
export const dialBgp: Dialer = (spec, handlers) => {
  let aborted = false;
  let connection: QueuedConnection | undefined;
  let fd: number | undefined;
  const guarded: ConnectionHandlers = {
    data: (chunk) => {
      if (!aborted) handlers.data(chunk);
    },
    closed: (detail) => {
      if (!aborted) handlers.closed(detail);
    },
  };
  const callbacks = socketHandlers(guarded, () => connection);
  const attach = (socket: Socket<undefined>, ownFd?: number): BgpConnection | string => {
    connection = new QueuedConnection(socket, ownFd);
    if (aborted) {
      connection.close(0);
      return "aborted";
    }
    return connection;
  };
  const result = (async (): Promise<BgpConnection | string> => {
    try {
      if (!needsRawSocket(spec)) {
        const socket = await Bun.connect({
          hostname: spec.peerAddress,
          port: spec.peerPort,
          socket: callbacks,
        });
        return attach(socket);
      }
      const opened = openRawSocket(spec);
      if (typeof opened === "string") return opened;
      fd = opened;
      const error = await connectCompletion(opened, () => aborted);
      if (error !== undefined) {
        close(opened);
        fd = undefined;
        return error;
      }
      // Bun.connect takes { fd } (measured under Bun 1.4.5); bun-types declares FdSocketOptions but no overload.
      const options: Bun.FdSocketOptions<undefined> = { fd: opened, socket: callbacks };
      const socket = await Bun.connect(options as unknown as Bun.UnixSocketOptions<undefined>);
      fd = undefined;
      return attach(socket, opened);
    } catch (error) {
      if (fd !== undefined) close(fd);
      return error instanceof Error ? error.message : String(error);
    }
  })();
  return {
    result,
    abort: () => {
      aborted = true;
      connection?.close(0);
    },
  };
};

/** socket -> TCP_MD5SIG -> IP_TTL / IPV6_UNICAST_HOPS -> bind -> connect; the fd or an error text. */
function openRawSocket(spec: BgpSessionSpec): number | string {
  const peer = parseIP(spec.peerAddress);
  if (!peer) return `peer address ${spec.peerAddress} does not parse`;
  const v6 = peer.family === "ipv6";
  let fd: number | undefined;
  try {
    fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    if (spec.password !== undefined) {
      const key = new TextEncoder().encode(spec.password);
      if (key.byteLength > TCP_MD5SIG_MAXKEYLEN) {
        close(fd);
        return `TCP MD5 password longer than ${TCP_MD5SIG_MAXKEYLEN} bytes`;
      }
      setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, tcpMd5Sig(addressBytes(peer), key), "TCP_MD5SIG");
    }
    const ttl = ttlFor(spec);
    if (ttl !== undefined) {
      if (v6) setsockoptInt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, ttl, "IPV6_UNICAST_HOPS");
      else setsockoptInt(fd, IPPROTO_IP, IP_TTL, ttl, "IP_TTL");
    }
    if (spec.sourceAddress !== undefined) {
      bind(fd, sockaddr(spec.sourceAddress, 0, 0));
    }
    const started = connectNow(fd, sockaddr(spec.peerAddress, spec.peerPort, 0));
    if (started !== 0 && started !== -EINPROGRESS) {
      close(fd);
      return `connect: ${errnoText(-started)}`;
    }
    return fd;
  } catch (error) {
    if (fd !== undefined) close(fd);
    return error instanceof Error ? error.message : String(error);
  }
}

const CONNECT_POLL_MS = 5;

/** Waits until a non-blocking connect finished: undefined when connected, else the error text. */
async function connectCompletion(fd: number, aborted: () => boolean): Promise<string | undefined> {
  const pollfd = new Uint8Array(8);
  const view = new DataView(pollfd.buffer);
  view.setInt32(0, fd, true);
  view.setInt16(4, POLLOUT, true);
  for (;;) {
    if (aborted()) return "aborted";
    view.setInt16(6, 0, true);
    const ready = pollFds(pollfd, 1, 0);
    if (ready < 0) return `poll: ${errnoText(-ready)}`;
    if (ready > 0) {
      const error = socketError(fd);
      return error === 0 ? undefined : `connect: ${errnoText(error)}`;
    }
    await Bun.sleep(CONNECT_POLL_MS);
  }
}
