/**
 * The BGP session Worker: owns the BgpSession objects, their sockets and their timers, on a thread
 * of their own (named "bgp" in top -H). The main thread's work (a 10k-Service list decoded at once,
 * a full reconcile, a collection of its heap) then never delays a KEEPALIVE or our hold timer: a
 * peer with hold time 3 s must hear from us at least every 3 s (RFC 4271 §4.4, §10), whatever the
 * speaker is busy with. The main thread talks to it through session-worker-host.ts
 * (messages: session-worker-protocol.ts).
 *
 * Sockets and timers here are Bun's own (Bun.connect, setTimeout): this thread's event loop wakes
 * per packet, which costs this thread only; a session's traffic is a keepalive a second.
 */
import { IdleTrimmer } from "../../runtime/idle-trim.ts";
import { setThreadName } from "../../runtime/libc.ts";
import { type BgpLog, BgpSession, type BgpSessionMetrics } from "./session.ts";
import type {
  FromSessionWorker,
  LogLevel,
  SessionEvent,
  ToSessionWorker,
  WorkerSessionConfig,
} from "./session-worker-protocol.ts";

declare const self: Worker;

setThreadName("bgp");

const sessions = new Map<number, BgpSession>();
/**
 * This thread's heap back to the OS once a burst of route changes is over (runtime/idle-trim.ts):
 * 10k routes arriving means their UPDATEs encoded and written, garbage a moment later, which this
 * heap would otherwise keep. Any burst counts: the handling of a delta is short, its writes follow.
 * A session that comes up sends its whole Adj-RIB-Out with no delta arriving (each batch sent
 * reports its prefix counts), and a session that ends leaves its tables: both count too.
 */
const trimmer = new IdleTrimmer({ minBusyMs: 0 });
let outbox: SessionEvent[] = [];

/** Everything reported within one turn goes out as one message. */
function report(event: SessionEvent): void {
  outbox.push(event);
  if (outbox.length === 1) queueMicrotask(postOutbox);
}

function postOutbox(): void {
  const events = outbox;
  outbox = [];
  const message: FromSessionWorker = { type: "events", events };
  self.postMessage(message);
}

function logFor(session: number): BgpLog {
  const at =
    (level: LogLevel) =>
    (fields: Record<string, unknown>, msg: string): void =>
      report({ type: "log", session, level, fields, msg });
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

function metricsFor(session: number): BgpSessionMetrics {
  return {
    sessionUp: (_peer, up) => report({ type: "sessionUp", session, up }),
    updateSent: () => report({ type: "updateSent", session }),
    prefixes: (_peer, announced, pending) => {
      trimmer.noteCycle(0);
      report({ type: "prefixes", session, announced, pending });
    },
    messageSent: (_peer, kind) => report({ type: "messageSent", session, kind }),
    messageReceived: (_peer, kind) => report({ type: "messageReceived", session, kind }),
  };
}

function create(id: number, message: Extract<ToSessionWorker, { type: "create" }>): void {
  const config: WorkerSessionConfig = message.config;
  const table = config.interfaces;
  const session = new BgpSession(message.spec, {
    nodeName: config.nodeName,
    dialTimeoutS: config.dialTimeoutS,
    openSentHoldS: config.openSentHoldS,
    interfaces: table ? () => table : undefined,
    log: logFor(id),
    metrics: metricsFor(id),
    onStatus: (status) => report({ type: "status", session: id, status }),
  });
  sessions.set(id, session);
}

async function handle(message: ToSessionWorker): Promise<void> {
  if (message.type === "create") {
    create(message.session, message);
    return;
  }
  const hosted = sessions.get(message.session);
  switch (message.type) {
    case "start":
      hosted?.start();
      return;
    case "routes": {
      const started = performance.now();
      hosted?.updateRoutes(message.delta.upsert, message.delta.remove);
      trimmer.noteCycle(performance.now() - started);
      return;
    }
    case "bfdDown":
      hosted?.bfdDown();
      return;
    case "flushed":
      await hosted?.flushed();
      report({ type: "done", session: message.session, request: message.request });
      return;
    case "stop":
      sessions.delete(message.session);
      await hosted?.stop(message.cause);
      trimmer.noteCycle(0);
      report({ type: "done", session: message.session, request: message.request });
      return;
  }
}

self.onmessage = (event: MessageEvent<ToSessionWorker>) => {
  void handle(event.data);
};
