/**
 * A scripted, misbehaving BGP peer for e2e/bgp/bad-peer.test.ts. Run it inside the `router`
 * namespace: `ip netns exec router bun e2e/bgp/bad-peer.ts <mode>`. It listens on
 * 172.18.0.254:179, behaves as `mode` says on every connection, and writes one JSON line per event
 * to stdout (accepted, sent, received with the decoded message, closed), which the test reads.
 *
 * Modes:
 * - unknown-stuff: OPEN with unknown capabilities; once up, an UPDATE with an unknown optional
 *   transitive attribute.
 * - bad-origin: once up, an UPDATE whose ORIGIN is 7.
 * - attributes-overrun / nlri-overrun: once up, a malformed UPDATE.
 * - route-refresh: once our first End-of-RIB arrived, a ROUTE-REFRESH for IPv4 unicast.
 * - hold-1: an OPEN with hold time 1.
 * - silent: accepts, never sends anything, closes after 6 s.
 * - close-after-open: closes as soon as our OPEN arrived.
 */
import {
  decodeMessage,
  encodeKeepalive,
  MessageFramer,
  type SessionCodecContext,
} from "../../operator/src/announcers/bgp/codec/index.ts";
import type { BgpMessage } from "../../operator/src/announcers/bgp/codec/types.ts";
import {
  openWithHoldTime1,
  openWithUnknownCapabilities,
  ROUTE_REFRESH_IPV4,
  UPDATE_ATTRIBUTES_OVERRUN,
  UPDATE_NLRI_OVERRUN,
  UPDATE_WITH_BAD_ORIGIN,
  UPDATE_WITH_UNKNOWN_ATTRIBUTE,
} from "./bad-peer-messages.ts";

export const BAD_PEER_MODES = [
  "unknown-stuff",
  "bad-origin",
  "attributes-overrun",
  "nlri-overrun",
  "route-refresh",
  "hold-1",
  "silent",
  "close-after-open",
] as const;
export type BadPeerMode = (typeof BAD_PEER_MODES)[number];

/** One line of the peer's log. */
export type BadPeerEvent =
  | { readonly t: number; readonly conn: number; readonly event: "accepted" | "closed" }
  | { readonly t: number; readonly conn: number; readonly event: "sent"; readonly what: string }
  | {
      readonly t: number;
      readonly conn: number;
      readonly event: "received";
      readonly message: ReceivedMessage;
    }
  | { readonly t: number; readonly conn: number; readonly event: "undecodable"; readonly reason: string };

/** What the test needs of a received message (JSON-friendly). */
export interface ReceivedMessage {
  readonly type: BgpMessage["type"];
  readonly code?: number;
  readonly subcode?: number;
  readonly holdTimeS?: number;
  readonly nlri?: readonly string[];
  readonly withdrawn?: readonly string[];
  readonly endOfRib?: string;
}

/** The peer and we both send capability 65 and list IPv4 unicast only. */
const CONTEXT: SessionCodecContext = {
  fourOctetASN: true,
  extendedMessage: false,
  families: ["ipv4-unicast"],
};

function summary(m: BgpMessage): ReceivedMessage {
  switch (m.type) {
    case "notification":
      return { type: m.type, code: m.code, subcode: m.subcode };
    case "open":
      return { type: m.type, holdTimeS: m.holdTimeS };
    case "update":
      return {
        type: m.type,
        nlri: m.nlri.map((p) => `${p.address}/${p.length}`),
        withdrawn: m.withdrawn.map((p) => `${p.address}/${p.length}`),
        ...(m.endOfRib ? { endOfRib: m.endOfRib } : {}),
      };
    default:
      return { type: m.type };
  }
}

/** What the mode sends once the session is up (after the first KEEPALIVE exchange). */
const ONCE_UP: Partial<Record<BadPeerMode, [string, Uint8Array]>> = {
  "unknown-stuff": ["update-unknown-attribute", UPDATE_WITH_UNKNOWN_ATTRIBUTE],
  "bad-origin": ["update-bad-origin", UPDATE_WITH_BAD_ORIGIN],
  "attributes-overrun": ["update-attributes-overrun", UPDATE_ATTRIBUTES_OVERRUN],
  "nlri-overrun": ["update-nlri-overrun", UPDATE_NLRI_OVERRUN],
};

function run(mode: BadPeerMode): void {
  const started = performance.now();
  const log = (event: Record<string, unknown>) =>
    console.log(JSON.stringify({ t: Math.round(performance.now() - started), ...event }));
  let connections = 0;
  let refreshed = false;
  interface Conn {
    readonly n: number;
    readonly framer: MessageFramer;
    up: boolean;
  }
  Bun.listen<Conn>({
    hostname: "172.18.0.254",
    port: 179,
    socket: {
      open(socket) {
        connections += 1;
        const conn: Conn = { n: connections, framer: new MessageFramer(), up: false };
        socket.data = conn;
        log({ conn: conn.n, event: "accepted" });
        const send = (what: string, bytes: Uint8Array) => {
          socket.write(bytes);
          log({ conn: conn.n, event: "sent", what });
        };
        if (mode === "silent") {
          setTimeout(() => socket.end(), 6_000);
          return;
        }
        if (mode === "close-after-open") return;
        if (mode === "hold-1") send("open-hold-1", openWithHoldTime1());
        else send("open", openWithUnknownCapabilities());
      },
      data(socket, chunk) {
        const conn = socket.data;
        conn.framer.push(new Uint8Array(chunk));
        const send = (what: string, bytes: Uint8Array) => {
          socket.write(bytes);
          log({ conn: conn.n, event: "sent", what });
        };
        for (const framed of conn.framer.drain()) {
          if (!framed.ok) {
            log({ conn: conn.n, event: "undecodable", reason: framed.error.reason });
            socket.end();
            return;
          }
          const decoded = decodeMessage(framed.value, CONTEXT);
          if (!decoded.ok) {
            log({ conn: conn.n, event: "undecodable", reason: decoded.error.reason });
            continue;
          }
          const m = decoded.value;
          log({ conn: conn.n, event: "received", message: summary(m) });
          if (m.type === "open" && mode === "close-after-open") {
            socket.end();
            return;
          }
          if (m.type === "keepalive") {
            send("keepalive", encodeKeepalive());
            if (!conn.up) {
              conn.up = true;
              const once = ONCE_UP[mode];
              if (once) send(once[0], once[1]);
            }
          }
          if (m.type === "update" && m.endOfRib && mode === "route-refresh" && !refreshed) {
            refreshed = true;
            send("route-refresh", ROUTE_REFRESH_IPV4);
          }
        }
      },
      close(socket) {
        log({ conn: socket.data.n, event: "closed" });
      },
    },
  });
  log({ conn: 0, event: "listening", mode });
}

if (import.meta.main) {
  const mode = process.argv[2] as BadPeerMode;
  if (!BAD_PEER_MODES.includes(mode)) {
    console.error(`usage: bun bad-peer.ts <${BAD_PEER_MODES.join("|")}>`);
    process.exit(2);
  }
  run(mode);
}
