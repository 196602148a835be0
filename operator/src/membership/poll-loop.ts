/**
 * The membership Worker's own event loop: one blocking poll(2) over the beat socket and a wake
 * eventfd, with the engine's timers as its timeout. It is also the engine's Clock.
 *
 * Why not the Worker's Bun event loop: that loop goes idle after every packet, and each time a
 * thread goes idle Bun's allocator sweeps its heaps; with 50 wake-ups a second (4 nodes beating
 * every 100 ms, plus our own timers) the sweeps of an idle 10k speaker cost more than the beats
 * (bench l2 footprint: 1.0 % of a core with membership on, 0.2 % with it off). This loop blocks in
 * the kernel between events and returns to Bun's loop only to take a message from the main
 * thread.
 *
 * Messages: the main thread bumps a shared counter and writes the wake eventfd *before* posting a
 * message (membership.ts, WorkerHost), so poll returns and the loop takes turns of Bun's loop until
 * every counted message was delivered. Writing first means the Worker cannot have handled a "stop"
 * (and closed the eventfd) before the write.
 */
import {
  close,
  drainEventFd,
  eventFd,
  POLLERR,
  POLLHUP,
  POLLIN,
  POLLNVAL,
  pollFds,
} from "../runtime/libc.ts";
import type { Clock, TimerHandle } from "./clock.ts";

/** The longest poll without a timer due: only a bound, every wake-up has a reason. */
const MAX_WAIT_MS = 1000;
/** Turns of Bun's loop to wait for a counted message before sleeping a millisecond between turns. */
const QUICK_TURNS = 100;

interface Timer {
  readonly due: number;
  readonly fn: () => void;
  live: boolean;
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export class PollLoop implements Clock {
  /** Written by the main thread to wake the poll (8 bytes, any non-zero count). */
  readonly wakeFd: number;
  private timers: Timer[] = [];
  private readonly watched = new Map<number, () => void>();
  private pollfds = new Uint8Array(16);
  private pollView = new DataView(this.pollfds.buffer);
  private pollCount = 0;
  private dirty = true;
  private running = false;
  private stopping = false;

  /** messagesWaiting: whether the main thread has counted messages this Worker has not yet received. */
  constructor(private readonly messagesWaiting: () => boolean) {
    this.wakeFd = eventFd();
  }

  now(): number {
    return performance.now();
  }

  wallNow(): number {
    return Date.now();
  }

  setTimer(ms: number, fn: () => void): TimerHandle {
    const timer: Timer = { due: performance.now() + Math.max(0, ms), fn, live: true };
    this.timers.push(timer);
    return {
      cancel: () => {
        timer.live = false;
      },
    };
  }

  /** Calls onReadable whenever fd has data (or an error) to read; it must read without blocking. */
  watch(fd: number, onReadable: () => void): void {
    this.watched.set(fd, onReadable);
    this.dirty = true;
  }

  unwatch(fd: number): void {
    if (this.watched.delete(fd)) this.dirty = true;
  }

  /** Ends the loop after its current step (at once if it never ran); closes the wake eventfd. */
  stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    if (!this.running) close(this.wakeFd);
  }

  /** Runs until stop(); rejects if a timer or a reader throws (the Worker then fails loudly). */
  async run(): Promise<void> {
    if (this.running || this.stopping) throw new Error("poll loop: run() called twice or after stop()");
    this.running = true;
    while (!this.stopping) {
      this.waitAndRead();
      this.runDueTimers();
      if (this.messagesWaiting()) await this.takeMessages();
      // Lets promise continuations (e.g. the end of leave()) run, without a turn of Bun's loop.
      else await undefined;
    }
    // Only after "stop": the main thread writes no more after posting it. After a failure the fd
    // stays open, so a late write from the main thread cannot land on a reused fd number.
    close(this.wakeFd);
  }

  private timeoutMs(): number {
    let soonest = Number.POSITIVE_INFINITY;
    for (const t of this.timers) if (t.live && t.due < soonest) soonest = t.due;
    if (soonest === Number.POSITIVE_INFINITY) return MAX_WAIT_MS;
    // Rounded up: waking a fraction early would only mean a second, empty poll.
    return Math.min(MAX_WAIT_MS, Math.max(0, Math.ceil(soonest - performance.now())));
  }

  private rebuild(): void {
    const count = this.watched.size + 1;
    if (this.pollfds.byteLength < count * 8) {
      this.pollfds = new Uint8Array(count * 16);
      this.pollView = new DataView(this.pollfds.buffer);
    }
    let i = 0;
    for (const fd of [this.wakeFd, ...this.watched.keys()]) {
      this.pollView.setInt32(i * 8, fd, true);
      this.pollView.setInt16(i * 8 + 4, POLLIN, true);
      i += 1;
    }
    this.pollCount = i;
    this.dirty = false;
  }

  private waitAndRead(): void {
    if (this.dirty) this.rebuild();
    for (let i = 0; i < this.pollCount; i += 1) this.pollView.setInt16(i * 8 + 6, 0, true);
    const ready = pollFds(this.pollfds, this.pollCount, this.timeoutMs());
    // 0: a timer is due; negative: -errno (EINTR: a signal), the timers run and we poll again.
    if (ready <= 0) return;
    for (let i = 0; i < this.pollCount; i += 1) {
      const revents = this.pollView.getInt16(i * 8 + 6, true);
      if (revents === 0) continue;
      const fd = this.pollView.getInt32(i * 8, true);
      if (fd === this.wakeFd) {
        drainEventFd(fd);
        continue;
      }
      if ((revents & POLLNVAL) !== 0) {
        // Closed behind our back: stop watching it rather than spin on it.
        this.unwatch(fd);
        continue;
      }
      if ((revents & (POLLIN | POLLERR | POLLHUP)) !== 0) this.watched.get(fd)?.();
    }
  }

  private runDueTimers(): void {
    const now = performance.now();
    const due: Timer[] = [];
    let kept = 0;
    for (const t of this.timers) {
      if (!t.live) continue;
      if (t.due <= now) due.push(t);
      else this.timers[kept++] = t;
    }
    this.timers.length = kept;
    due.sort((a, b) => a.due - b.due);
    for (const t of due) {
      // A timer may cancel a later one that is also due (the engine re-arms its expiry timer).
      if (!t.live || this.stopping) continue;
      t.live = false;
      t.fn();
    }
  }

  private async takeMessages(): Promise<void> {
    for (let turns = 0; this.messagesWaiting() && !this.stopping; turns += 1) {
      if (turns < QUICK_TURNS) await nextTurn();
      else await Bun.sleep(1);
    }
  }
}
