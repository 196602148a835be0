/**
 * The membership Worker: runs the engine on its own thread and event loop, so heartbeats go out
 * and deadlines are judged on time whatever the main thread is doing. Reports members and logs at
 * once, per-packet observations in batches every 5 s. Metrics are scraped every 15-30 s, and each
 * batch wakes the main thread, which at idle also costs the allocator a sweep of the main heap
 * (bench l2 footprint: the idle speaker's largest cost after the heartbeats themselves).
 */
import { realClock } from "./clock.ts";
import { MembershipEngine } from "./engine.ts";
import type { BeatKey } from "./key.ts";
import type { DropReason } from "./reasons.ts";
import { udpTransport } from "./transport.ts";
import type { FromWorker, ObservedBatch, ToWorker } from "./worker-protocol.ts";

declare const self: Worker;

const FLUSH_EVERY_MS = 5000;

function emptyBatch(): ObservedBatch {
  return {
    sentAlive: 0,
    sentLeaving: 0,
    sendFailures: 0,
    acceptedLeaving: 0,
    acceptedAliveWithoutGap: 0,
    gapsMs: [],
    dropped: [],
    stallsMs: [],
  };
}

let engine: MembershipEngine | undefined;
let batch = emptyBatch();
const dropped = new Map<DropReason, number>();
let flushTimer: ReturnType<typeof setInterval> | undefined;

function post(message: FromWorker): void {
  self.postMessage(message);
}

function flush(): void {
  batch.dropped = [...dropped.entries()];
  dropped.clear();
  const b = batch;
  batch = emptyBatch();
  const empty =
    b.sentAlive + b.sentLeaving + b.sendFailures + b.acceptedLeaving + b.acceptedAliveWithoutGap === 0 &&
    b.gapsMs.length + b.dropped.length + b.stallsMs.length === 0;
  if (!empty) post({ type: "observed", batch: b });
}

async function handle(message: ToWorker): Promise<void> {
  switch (message.type) {
    case "start": {
      const { engine: config, destination, port } = message.config;
      engine = new MembershipEngine(
        { ...config, key: config.key as BeatKey | undefined },
        realClock,
        udpTransport(destination, port),
        {
          members: (members, changes) => post({ type: "members", members: [...members], changes }),
          log: (level, fields, msg) => post({ type: "log", level, fields, msg }),
          sent(kind, ok) {
            if (!ok) batch.sendFailures += 1;
            else if (kind === "alive") batch.sentAlive += 1;
            else batch.sentLeaving += 1;
          },
          accepted(kind, gapMs) {
            if (kind === "leaving") batch.acceptedLeaving += 1;
            else if (gapMs === undefined) batch.acceptedAliveWithoutGap += 1;
            else batch.gapsMs.push(gapMs);
          },
          dropped: (reason) => dropped.set(reason, (dropped.get(reason) ?? 0) + 1),
          stalled: (lateMs) => batch.stallsMs.push(lateMs),
        },
      );
      await engine.start();
      flushTimer = setInterval(flush, FLUSH_EVERY_MS);
      post({ type: "done", id: message.id });
      return;
    }
    case "leave":
      await engine?.leave();
      flush();
      post({ type: "done", id: message.id });
      return;
    case "counters":
      if (!engine) throw new Error("membership worker: not started");
      flush();
      post({ type: "counters", id: message.id, counters: engine.counters() });
      return;
    case "stop":
      engine?.stop();
      if (flushTimer) clearInterval(flushTimer);
      flush();
      post({ type: "done", id: message.id });
      return;
  }
}

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  handle(message).catch((error: unknown) =>
    post({ type: "error", id: message.id, error: error instanceof Error ? error.message : String(error) }),
  );
};
