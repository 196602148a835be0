import { describe, expect, test } from "bun:test";
import { eventsAfterWrites } from "./events-after-writes.ts";
import { type KeyedJob, KeyedWriter } from "./keyed-writer.ts";

function gatedJob() {
  let open: () => void = () => {};
  const job: KeyedJob = { fingerprint: "1", run: () => new Promise<void>((resolve) => (open = resolve)) };
  return { job, open: () => open() };
}

describe("eventsAfterWrites", () => {
  test("Events wait while writes are in flight and go once the writer is idle", async () => {
    const writer = new KeyedWriter({ concurrency: 1 });
    const deferred: boolean[] = [];
    const check = eventsAfterWrites(writer, { defer: (d) => deferred.push(d) });
    check();
    expect(deferred).toEqual([]); // nothing to write: Events go at once

    const a = gatedJob();
    const b = gatedJob();
    writer.setDesired(
      new Map([
        ["a", a.job],
        ["b", b.job],
      ]),
    );
    check();
    check();
    expect(deferred).toEqual([true]);
    a.open();
    await Bun.sleep(1);
    // b still queued behind a: still deferred.
    expect(deferred).toEqual([true]);
    b.open();
    await writer.idle();
    await Bun.sleep(1);
    expect(deferred).toEqual([true, false]);

    // The next burst defers again.
    const c = gatedJob();
    writer.setDesired(new Map([["c", c.job]]));
    check();
    expect(deferred).toEqual([true, false, true]);
    c.open();
    await Bun.sleep(1);
    expect(deferred).toEqual([true, false, true, false]);
  });

  test("a writer that stops releases the Events", async () => {
    const writer = new KeyedWriter({ concurrency: 1 });
    const deferred: boolean[] = [];
    const check = eventsAfterWrites(writer, { defer: (d) => deferred.push(d) });
    const a = gatedJob();
    writer.setDesired(new Map([["a", a.job]]));
    check();
    const stopped = writer.stop();
    a.open();
    await stopped;
    await Bun.sleep(1);
    expect(deferred).toEqual([true, false]);
  });
});
