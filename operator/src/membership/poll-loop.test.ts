/**
 * The membership Worker's poll loop on this thread, with real eventfds (no network): timers in due
 * order, cancellation, readable fds, the wake fd, and the turns of Bun's loop it takes only for
 * waiting messages.
 */
import { afterEach, expect, test } from "bun:test";
import { writeSync } from "node:fs";
import { close, drainEventFd, eventFd } from "../runtime/libc.ts";
import { PollLoop } from "./poll-loop.ts";

const ONE = new Uint8Array(new BigUint64Array([1n]).buffer);
const opened: number[] = [];
afterEach(() => {
  for (const fd of opened.splice(0)) close(fd);
});

test("timers run in due order, once; a cancelled one never; one set by a timer runs later", async () => {
  const loop = new PollLoop(() => false);
  const ran: string[] = [];
  loop.setTimer(30, () => ran.push("30"));
  loop.setTimer(10, () => {
    ran.push("10");
    loop.setTimer(5, () => ran.push("10+5"));
  });
  const cancelled = loop.setTimer(20, () => ran.push("20"));
  cancelled.cancel();
  loop.setTimer(0, () => ran.push("0"));
  loop.setTimer(60, () => loop.stop());
  const started = performance.now();
  await loop.run();
  expect(ran).toEqual(["0", "10", "10+5", "30"]);
  expect(performance.now() - started).toBeGreaterThanOrEqual(59);
});

test("a watched fd's reader runs when it is readable, and not after unwatch", async () => {
  const loop = new PollLoop(() => false);
  const fd = eventFd();
  opened.push(fd);
  let reads = 0;
  loop.watch(fd, () => {
    reads += 1;
    drainEventFd(fd);
  });
  loop.setTimer(5, () => writeSync(fd, ONE));
  loop.setTimer(20, () => {
    loop.unwatch(fd);
    writeSync(fd, ONE);
  });
  loop.setTimer(40, () => loop.stop());
  await loop.run();
  expect(reads).toBe(1);
});

test("the wake fd ends a long poll at once, and the loop takes turns of Bun's loop until no message waits", async () => {
  let waiting = 1;
  const loop = new PollLoop(() => waiting > 0);
  const started = performance.now();
  let deliveredAfterMs = -1;
  // Bun's loop runs this only when the poll loop takes a turn.
  setImmediate(() => {
    waiting = 0;
    deliveredAfterMs = performance.now() - started;
  });
  let timerAfterMs = -1;
  loop.setTimer(300, () => {
    timerAfterMs = performance.now() - started;
    loop.stop();
  });
  writeSync(loop.wakeFd, ONE);
  await loop.run();
  expect(deliveredAfterMs).toBeGreaterThanOrEqual(0);
  expect(deliveredAfterMs).toBeLessThan(100);
  expect(timerAfterMs).toBeGreaterThanOrEqual(299);
});

test("without a waiting message, Bun's loop gets no turn while the poll loop runs", async () => {
  const loop = new PollLoop(() => false);
  let immediateRan = false;
  setImmediate(() => {
    immediateRan = true;
  });
  let sawImmediate: boolean | undefined;
  loop.setTimer(20, () => {
    sawImmediate = immediateRan;
    loop.stop();
  });
  await loop.run();
  expect(sawImmediate).toBe(false);
});

test("stop() before run() closes the wake fd; run() after stop() is refused", async () => {
  const loop = new PollLoop(() => false);
  loop.stop();
  expect(() => writeSync(loop.wakeFd, ONE)).toThrow();
  await expect(loop.run()).rejects.toThrow(/after stop/);
});

test("a reader that throws ends run() with its error (the Worker then fails loudly)", async () => {
  const loop = new PollLoop(() => false);
  const fd = eventFd();
  opened.push(fd);
  loop.watch(fd, () => {
    throw new Error("reader bug");
  });
  writeSync(fd, ONE);
  await expect(loop.run()).rejects.toThrow("reader bug");
  close(loop.wakeFd);
});
