/**
 * A BGP peer in a process of its own that timestamps every message it hears from us, keeps its own
 * hold timer and sends its own KEEPALIVEs, as a router does. Tests and the loop-lag bench block the
 * main thread of the process under test; this peer's clock does not stop with it, so the gaps it
 * sees are the gaps a real router would see.
 *
 * As a script (`bun timing-peer.ts <holdTimeS> <keepaliveS> <asn>`) it listens on 127.0.0.1 (port
 * chosen by the kernel) and prints JSON lines: {event:"listening",port}, then per message
 * {event:"message",kind,t}, {event:"holdExpired",t,silenceMs} (it then sends NOTIFICATION 4/0,
 * Hold Timer Expired, and closes, RFC 4271 §6.5), {event:"closed",t}. `t` is wall-clock
 * milliseconds (sub-millisecond, from the monotonic clock), comparable with the caller's. Imported, `startTimingPeer` runs the script and parses its lines.
 */
import type { Socket } from "bun";
import {
  encodeKeepalive,
  encodeNotification,
  encodeOpen,
  MessageFramer,
  NO_CAPABILITIES,
  twoOctetAS,
} from "../codec/index.ts";

export type HeardKind = "open" | "update" | "notification" | "keepalive" | "routeRefresh" | "unknown";

export type PeerLine =
  | { readonly event: "listening"; readonly port: number }
  | { readonly event: "message"; readonly kind: HeardKind; readonly t: number }
  | { readonly event: "holdExpired"; readonly t: number; readonly silenceMs: number }
  | { readonly event: "closed"; readonly t: number };

const KINDS: Record<number, HeardKind> = {
  1: "open",
  2: "update",
  3: "notification",
  4: "keepalive",
  5: "routeRefresh",
};
/** The octet after marker and length (RFC 4271 §4.1). */
const TYPE_OFFSET = 18;
const HOLD_CHECK_MS = 20;

const now = (): number => performance.timeOrigin + performance.now();

function print(line: PeerLine): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

function runPeer(holdTimeS: number, keepaliveS: number, asn: number): void {
  const open = encodeOpen({
    myAS: twoOctetAS(asn),
    holdTimeS,
    bgpIdentifier: "10.255.0.9",
    capabilities: { ...NO_CAPABILITIES, families: ["ipv4-unicast"], routeRefresh: true, fourOctetASN: asn },
  });
  if (!open.ok) throw new Error(open.error.detail);
  interface Connection {
    readonly framer: MessageFramer;
    heardAt: number | undefined;
    keepalives: ReturnType<typeof setInterval> | undefined;
  }
  const connections = new Map<Socket<undefined>, Connection>();
  const end = (socket: Socket<undefined>) => {
    const connection = connections.get(socket);
    if (!connection) return;
    clearInterval(connection.keepalives);
    connections.delete(socket);
    print({ event: "closed", t: now() });
  };
  const listener = Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      open(socket) {
        connections.set(socket, { framer: new MessageFramer(), heardAt: undefined, keepalives: undefined });
        socket.write(open.value);
      },
      data(socket, chunk) {
        const t = now();
        const connection = connections.get(socket);
        if (!connection) return;
        connection.framer.push(new Uint8Array(chunk));
        for (const framed of connection.framer.drain()) {
          if (!framed.ok) break;
          const kind = KINDS[framed.value[TYPE_OFFSET]!] ?? "unknown";
          print({ event: "message", kind, t });
          connection.heardAt = t;
          if (kind === "open" && !connection.keepalives) {
            socket.write(encodeKeepalive());
            connection.keepalives = setInterval(() => socket.write(encodeKeepalive()), keepaliveS * 1000);
          }
        }
      },
      close: end,
      error: end,
    },
  });
  setInterval(() => {
    const t = now();
    for (const [socket, connection] of connections) {
      if (connection.heardAt === undefined || holdTimeS === 0) continue;
      const silenceMs = t - connection.heardAt;
      if (silenceMs <= holdTimeS * 1000) continue;
      print({ event: "holdExpired", t, silenceMs });
      socket.write(encodeNotification(4, 0, new Uint8Array(0)));
      socket.end();
      end(socket);
    }
  }, HOLD_CHECK_MS);
  print({ event: "listening", port: listener.port });
}

export interface TimingPeer {
  readonly port: number;
  /** Every line printed so far after "listening". */
  readonly lines: readonly PeerLine[];
  /**
   * Gaps in ms between successive KEEPALIVEs heard on one connection, those that end within
   * [from, to] (wall-clock ms; default: all).
   */
  keepaliveGaps(from?: number, to?: number): number[];
  holdExpiries(): number;
  /** Resolves when the predicate holds on the lines, or rejects after timeoutMs. */
  until(what: string, check: (lines: readonly PeerLine[]) => boolean, timeoutMs?: number): Promise<void>;
  stop(): Promise<void>;
}

/** Runs the peer in its own process; resolves once it listens. */
export async function startTimingPeer(
  options: { holdTimeS?: number; keepaliveS?: number; asn?: number } = {},
): Promise<TimingPeer> {
  const proc = Bun.spawn(
    [
      process.execPath,
      import.meta.path,
      String(options.holdTimeS ?? 3),
      String(options.keepaliveS ?? 1),
      String(options.asn ?? 64500),
    ],
    { stdout: "pipe", stderr: "inherit" },
  );
  const lines: PeerLine[] = [];
  let port: number | undefined;
  const reading = (async () => {
    let rest = "";
    const decoder = new TextDecoder();
    for await (const chunk of proc.stdout) {
      rest += decoder.decode(chunk, { stream: true });
      for (let nl = rest.indexOf("\n"); nl >= 0; nl = rest.indexOf("\n")) {
        const line = JSON.parse(rest.slice(0, nl)) as PeerLine;
        rest = rest.slice(nl + 1);
        if (line.event === "listening") port = line.port;
        else lines.push(line);
      }
    }
  })();
  const until = async (what: string, check: (l: readonly PeerLine[]) => boolean, timeoutMs = 5000) => {
    const deadline = performance.now() + timeoutMs;
    while (!check(lines)) {
      if (performance.now() > deadline) throw new Error(`timing peer: timed out waiting for ${what}`);
      await Bun.sleep(10);
    }
  };
  await until("listening", () => port !== undefined);
  return {
    port: port!,
    lines,
    keepaliveGaps(from = Number.NEGATIVE_INFINITY, to = Number.POSITIVE_INFINITY) {
      const gaps: number[] = [];
      let previous: number | undefined;
      for (const l of lines) {
        if (l.event === "closed") previous = undefined;
        if (l.event !== "message" || l.kind !== "keepalive") continue;
        if (previous !== undefined && l.t >= from && l.t <= to) gaps.push(l.t - previous);
        previous = l.t;
      }
      return gaps;
    },
    holdExpiries: () => lines.filter((l) => l.event === "holdExpired").length,
    until,
    async stop() {
      proc.kill();
      await proc.exited;
      await reading.catch(() => {});
    },
  };
}

if (import.meta.main) {
  const [hold, keepalive, asn] = process.argv.slice(2).map(Number);
  runPeer(hold ?? 3, keepalive ?? 1, asn ?? 64500);
}
