/**
 * A tiny BGP peer for loopback tests of BgpSession: listens on 127.0.0.1 (port chosen by the
 * kernel), answers a connection's OPEN with its own and KEEPALIVEs (unless told otherwise), and
 * records every message it receives, decoded by the codec.
 */
import type { Socket, TCPSocketListener } from "bun";
import {
  decodeMessage,
  encodeKeepalive,
  encodeOpen,
  MessageFramer,
  NO_CAPABILITIES,
  twoOctetAS,
} from "../codec/index.ts";
import type { BgpMessage, Capabilities, SessionCodecContext } from "../codec/types.ts";

export interface ScriptedPeerOptions {
  readonly asn: number;
  readonly routerID?: string;
  readonly holdTimeS?: number;
  readonly capabilities?: Partial<Capabilities>;
  /** Send an OPEN when a connection arrives (default true). */
  readonly answerOpen?: boolean;
  /** Answer each KEEPALIVE with one (default true): false lets our hold timer expire. */
  readonly sendKeepalives?: boolean;
  /** How UPDATEs from us are decoded. */
  readonly ctx?: SessionCodecContext;
  /** After our FIN, keep this side open this long before closing it too (a busy router; default 0). */
  readonly closeDelayMs?: number;
}

export interface PeerConnection {
  readonly index: number;
  readonly messages: BgpMessage[];
  readonly socket: Socket<undefined>;
  /** Our FIN arrived. */
  finReceived: boolean;
  closed: boolean;
}

export class ScriptedPeer {
  readonly connections: PeerConnection[] = [];
  private listener: TCPSocketListener<undefined> | undefined;
  private waiters: (() => void)[] = [];

  constructor(private readonly options: ScriptedPeerOptions) {}

  get port(): number {
    return this.listener!.port;
  }

  start(): this {
    const sockets = new Map<Socket<undefined>, { connection: PeerConnection; framer: MessageFramer }>();
    this.listener = Bun.listen({
      hostname: "127.0.0.1",
      port: 0,
      allowHalfOpen: true,
      socket: {
        open: (socket) => {
          const connection: PeerConnection = {
            index: this.connections.length,
            messages: [],
            socket,
            finReceived: false,
            closed: false,
          };
          this.connections.push(connection);
          sockets.set(socket, { connection, framer: new MessageFramer() });
          if (this.options.answerOpen !== false) socket.write(this.openBytes());
          this.wake();
        },
        data: (socket, chunk) => {
          const entry = sockets.get(socket);
          if (!entry) return;
          entry.framer.push(new Uint8Array(chunk));
          for (const framed of entry.framer.drain()) {
            if (!framed.ok) break;
            const decoded = decodeMessage(framed.value, this.options.ctx);
            if (!decoded.ok) continue;
            entry.connection.messages.push(decoded.value);
            if (decoded.value.type === "keepalive" && this.options.sendKeepalives !== false) {
              socket.write(encodeKeepalive());
            }
          }
          this.wake();
        },
        end: (socket) => {
          const entry = sockets.get(socket);
          if (entry) entry.connection.finReceived = true;
          const delay = this.options.closeDelayMs ?? 0;
          if (delay === 0) socket.end();
          else setTimeout(() => socket.end(), delay);
          this.wake();
        },
        close: (socket) => {
          const entry = sockets.get(socket);
          if (entry) entry.connection.closed = true;
          this.wake();
        },
      },
    });
    return this;
  }

  openBytes(overrides: { asn?: number } = {}): Uint8Array {
    const asn = overrides.asn ?? this.options.asn;
    const encoded = encodeOpen({
      myAS: twoOctetAS(asn),
      holdTimeS: this.options.holdTimeS ?? 90,
      bgpIdentifier: this.options.routerID ?? "10.255.0.1",
      capabilities: {
        ...NO_CAPABILITIES,
        families: ["ipv4-unicast"],
        routeRefresh: true,
        fourOctetASN: asn,
        ...this.options.capabilities,
      },
    });
    if (!encoded.ok) throw new Error(encoded.error.detail);
    return encoded.value;
  }

  /** Resolves when the predicate holds (checked after every event), or rejects after timeoutMs. */
  async until<T>(what: string, check: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      const value = check();
      if (value) return value;
      const left = deadline - performance.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 50));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  stop(): void {
    for (const c of this.connections) if (!c.closed) c.socket.end();
    this.listener?.stop(true);
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
