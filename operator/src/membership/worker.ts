/**
 * The membership Worker: runs the engine on its own thread, in its own poll loop (poll-loop.ts), so
 * heartbeats go out and deadlines are judged on time whatever the main thread is doing, and an
 * idle speaker's only regular work is the beats themselves. Reports members and logs at once,
 * per-packet observations in batches every 5 s. Metrics are scraped every 15-30 s, and each batch
 * wakes the main thread, which at idle also costs the allocator a sweep of the main heap (bench l2
 * footprint: the idle speaker's largest cost after the heartbeats themselves).
 */
import { setThreadName } from "../runtime/libc.ts";
import { type EngineSink, MembershipEngine } from "./engine.ts";
import type { BeatKey } from "./key.ts";
import { PollLoop } from "./poll-loop.ts";
import { pollTransport } from "./poll-transport.ts";
import type { DropReason } from "./reasons.ts";
import { SegmentEngines } from "./segment-engines.ts";
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
let segments: SegmentEngines | undefined;
let loop: PollLoop | undefined;
/** Messages after "start": counted by the main thread before posting, and by us on receipt. */
let posted: Int32Array | undefined;
let received = 0;
let batch = emptyBatch();
const dropped = new Map<DropReason, number>();

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

/**
 * Every FLUSH_EVERY_MS: the batch, and a full collection of this Worker's heap. Bun collects a
 * thread's heap when its event loop idles, and the poll loop never idles: each beat's HMAC holds a
 * native hasher freed only when its wrapper is collected, which the JavaScript heap's own
 * accounting does not see. Measured on loopback (40 beats/s in): without it the process grew
 * 1.1 MB per 10 s; with it, flat at the old Worker's level; 1.2-2 ms per collection (0.03 % of a
 * core).
 */
function flushEvery(clock: PollLoop): void {
  clock.setTimer(FLUSH_EVERY_MS, () => {
    flush();
    Bun.gc(true);
    flushEvery(clock);
  });
}

/** A failed loop (a bug) must not leave a silent, beat-less member: fail the Worker loudly. */
function failLoudly(error: unknown): void {
  setTimeout(() => {
    throw error;
  });
}

async function handle(message: ToWorker): Promise<void> {
  switch (message.type) {
    case "start": {
      const { engine: config, destination, port } = message.config;
      // Named, so per-thread CPU (top -H, bench l2 footprint) tells the heartbeats apart.
      setThreadName("membership");
      const counter = new Int32Array(message.posted);
      posted = counter;
      const pollLoop = new PollLoop(() => Atomics.load(counter, 0) > received);
      const engineConfig = { ...config, key: config.key as BeatKey | undefined };
      // Packet counts and logs of every segment's engine go the same way.
      const shared: Omit<EngineSink, "members"> = {
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
      };
      engine = new MembershipEngine(engineConfig, pollLoop, pollTransport(pollLoop, destination, port), {
        ...shared,
        members: (members, changes) => post({ type: "members", members: [...members], changes }),
      });
      segments = new SegmentEngines(
        (segmentDestination, sink) =>
          new MembershipEngine(
            engineConfig,
            pollLoop,
            pollTransport(pollLoop, segmentDestination, port),
            sink,
          ),
        {
          sink: shared,
          members: (ifname, members, changes) =>
            post({
              type: "segmentMembers",
              ifname,
              members: members === undefined ? undefined : [...members],
              changes,
            }),
        },
      );
      try {
        await engine.start();
      } catch (error) {
        pollLoop.stop();
        throw error;
      }
      loop = pollLoop;
      flushEvery(pollLoop);
      post({ type: "started", id: message.id, wakeFd: pollLoop.wakeFd });
      pollLoop.run().catch(failLoudly);
      return;
    }
    case "segments":
      await segments?.set(message.segments);
      post({ type: "done", id: message.id });
      return;
    case "leave":
      await Promise.all([engine?.leave(), segments?.leave()]);
      flush();
      post({ type: "done", id: message.id });
      return;
    case "counters":
      if (!engine) throw new Error("membership worker: not started");
      flush();
      post({ type: "counters", id: message.id, counters: engine.counters() });
      return;
    case "stop":
      segments?.stop();
      engine?.stop();
      loop?.stop();
      flush();
      post({ type: "done", id: message.id });
      return;
  }
}

self.onmessage = (event: MessageEvent<ToWorker>) => {
  const message = event.data;
  if (message.type !== "start" && posted !== undefined) received += 1;
  handle(message).catch((error: unknown) =>
    post({ type: "error", id: message.id, error: error instanceof Error ? error.message : String(error) }),
  );
};
