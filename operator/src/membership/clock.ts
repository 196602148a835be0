/**
 * Time for the membership shell: a monotonic clock for liveness (wall-clock jumps never kill a
 * peer), the wall clock for the per-boot incarnation, and one-shot timers. Injectable, so unit tests
 * run on a manual clock (testing/manual-clock.ts).
 */

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Monotonic milliseconds (performance.now()). */
  now(): number;
  /** Wall-clock milliseconds since the Unix epoch (Date.now()). */
  wallNow(): number;
  /** Runs fn once after ms. */
  setTimer(ms: number, fn: () => void): TimerHandle;
}

export const realClock: Clock = {
  now: () => performance.now(),
  wallNow: () => Date.now(),
  setTimer(ms, fn) {
    const id = setTimeout(fn, Math.max(0, ms));
    return { cancel: () => clearTimeout(id) };
  },
};
