/**
 * A TCP listener on 127.0.0.1 that requires a TCP MD5 key (RFC 2385) from 127.0.0.1, for loopback
 * tests of the session's keyed dial: socket, TCP_MD5SIG, bind, listen through bun:ffi, then
 * Bun.listen({ fd }). The kernel drops unsigned or wrongly signed SYNs, so a wrong key never
 * reaches `open`.
 */
import { dlopen, FFIType, ptr } from "bun:ffi";
import type { Socket, TCPSocketListener } from "bun";
import { sockaddr } from "../../../membership/beat-sockets.ts";
import {
  AF_INET,
  bind,
  close,
  IPPROTO_TCP,
  SOCK_NONBLOCK,
  SOCK_STREAM,
  setsockopt,
  socket,
  TCP_MD5SIG,
  tcpMd5Sig,
} from "../../../runtime/libc.ts";

const { symbols } = dlopen("libc.so.6", {
  listen: { args: [FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  getsockname: { args: [FFIType.i32, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
});

export interface Md5Listener {
  readonly port: number;
  readonly accepted: Socket<undefined>[];
  stop(): void;
}

export function md5Listener(
  key: string,
  onOpen: (socket: Socket<undefined>) => void = () => {},
): Md5Listener {
  const fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  try {
    setsockopt(
      fd,
      IPPROTO_TCP,
      TCP_MD5SIG,
      tcpMd5Sig(Uint8Array.of(127, 0, 0, 1), new TextEncoder().encode(key)),
      "TCP_MD5SIG",
    );
    bind(fd, sockaddr("127.0.0.1", 0, 0));
    if (symbols.listen(fd, 16) < 0) throw new Error("listen failed");
  } catch (error) {
    close(fd);
    throw error;
  }
  const address = new Uint8Array(16);
  const length = new Uint32Array([16]);
  symbols.getsockname(fd, ptr(address), ptr(length));
  const port = (address[2]! << 8) | address[3]!;
  const accepted: Socket<undefined>[] = [];
  // Bun.listen takes { fd } (measured under Bun 1.4.5); bun-types has no overload for it.
  const listener = Bun.listen({
    fd,
    socket: {
      open(s: Socket<undefined>) {
        accepted.push(s);
        onOpen(s);
      },
      data() {},
    },
  } as unknown as Bun.TCPSocketListenOptions<undefined>) as TCPSocketListener<undefined>;
  return {
    port,
    accepted,
    stop() {
      for (const s of accepted) s.end();
      listener.stop(true);
    },
  };
}
