import { expect, test } from "bun:test";
import { SharedDeadline } from "./shared-deadline.ts";

test("requests in one slice share a signal; the next slice gets a new one", () => {
  let now = 0;
  const deadline = new SharedDeadline(30_000, () => now);
  const first = deadline.signal();
  now = 999;
  expect(deadline.signal()).toBe(first);
  now = 1000;
  const second = deadline.signal();
  expect(second).not.toBe(first);
  expect(first.aborted).toBe(false);
});

test("a shared signal fires no sooner than the timeout after the last request of its slice", async () => {
  const deadline = new SharedDeadline(100);
  const signal = deadline.signal();
  const started = performance.now();
  await new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve()));
  const waited = performance.now() - started;
  // One slice is 10 ms: the signal fires 110 ms after the slice began.
  expect(waited).toBeGreaterThanOrEqual(105);
  expect((signal.reason as Error).name).toBe("TimeoutError");
});
