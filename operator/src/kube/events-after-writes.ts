/**
 * Assignments first, Events after: while a writer has writes queued or in flight, an EventSink
 * starts no Event, and it starts again once the writer is idle. An Event's POST would otherwise
 * compete with the writes that matter for the same apiserver (a new Service's IP waited for its
 * own IPAllocated Event; after a cold start, 10k Events would).
 */
import type { EventSink } from "./event-sink.ts";
import type { KeyedWriter } from "./keyed-writer.ts";

export type WriterBacklog = Pick<KeyedWriter, "backlog" | "idle">;
export type DeferrableEvents = Pick<EventSink, "defer">;

/** Returns the check to call after each setDesired of the writer. */
export function eventsAfterWrites(writer: WriterBacklog, events: DeferrableEvents): () => void {
  let waiting = false;
  return () => {
    if (writer.backlog === 0 || waiting) return;
    waiting = true;
    events.defer(true);
    void (async () => {
      while (writer.backlog > 0) await writer.idle();
      waiting = false;
      events.defer(false);
    })();
  };
}
