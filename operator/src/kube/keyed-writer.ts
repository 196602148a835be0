/**
 * The executor behind every writer: it takes the whole desired set of writes, keyed (one per
 * Service, per pool, ...), and makes each happen once, idempotently:
 * - a write whose fingerprint is in flight, waiting to retry, or done is not started again;
 * - a key that leaves the set is forgotten (its retry is cancelled; a write in flight finishes);
 * - a changed write for a key runs after the one in flight, never beside it (per-key order);
 * - failures retry per key with exponential backoff (statedb's 100 ms -> 1 min shape), terminal
 *   ones (the caller says which: 404, 422, ...) wait for a different write;
 * - a write that succeeded but is still wanted after `confirmAfterMs` (the watch never showed it,
 *   or someone reverted it) is written again: level-triggered, not "fire once and hope".
 * At most `concurrency` writes run at once. Intents carry no retry policy; this owns it.
 */

export interface KeyedJob {
  /** Equal fingerprints mean the same write. */
  readonly fingerprint: string;
  run(): Promise<void>;
}

export interface Timers {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

export interface KeyedWriterOptions {
  readonly concurrency?: number;
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  readonly confirmAfterMs?: number;
  /**
   * At most one write per key starts in this many ms (default 0: no spacing). For writes that
   * only report (pool counters): under a flood of changes the latest value is written once per
   * interval instead of once per change, leaving the apiserver to the writes that matter.
   */
  readonly minIntervalMs?: number;
  /** Errors that another attempt of the same write cannot fix. */
  readonly isTerminal?: (error: unknown) => boolean;
  /** A write failed; `terminal`: it will not be tried again (isTerminal said so, or the writer stops). */
  readonly onError?: (key: string, error: unknown, attempt: number, terminal: boolean) => void;
  readonly onSuccess?: (key: string) => void;
  readonly timers?: Timers;
}

type Phase = "queued" | "running" | "retryWait" | "done" | "failed";

interface Entry {
  job: KeyedJob;
  phase: Phase;
  attempt: number;
  doneAt: number;
  timer: unknown;
  /** A different write that arrived while this one was running. */
  next: KeyedJob | undefined;
  /** The key left the desired set while running: forget it when the run ends. */
  dropped: boolean;
  /** When this key's last write started (for minIntervalMs). */
  lastStartAt: number;
}

export class KeyedWriter {
  private readonly entries = new Map<string, Entry>();
  private readonly queue: string[] = [];
  private running = 0;
  private stopped = false;
  private paused = false;
  private idleWaiters: Array<() => void> = [];
  private readonly concurrency: number;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly confirmAfterMs: number;
  private readonly minIntervalMs: number;
  private readonly timers: Timers;
  /** Index of the queue's head: keys are taken from the front without shift()ing 10k entries. */
  private head = 0;
  /**
   * When each key's last write started, kept after its entry is forgotten (only with
   * minIntervalMs): a pool's counters leave the desired set once written, and come back with the
   * next Service, which must still wait out the interval.
   */
  private readonly recentStarts = new Map<string, number>();

  constructor(private readonly options: KeyedWriterOptions = {}) {
    this.concurrency = options.concurrency ?? 16;
    this.initialBackoffMs = options.initialBackoffMs ?? 100;
    this.maxBackoffMs = options.maxBackoffMs ?? 60_000;
    this.confirmAfterMs = options.confirmAfterMs ?? 10_000;
    this.minIntervalMs = options.minIntervalMs ?? 0;
    this.timers = options.timers ?? realTimers;
  }

  /** The complete set of writes wanted now. */
  setDesired(jobs: ReadonlyMap<string, KeyedJob>): void {
    if (this.stopped) return;
    for (const [key, entry] of this.entries) {
      if (jobs.has(key)) continue;
      if (entry.phase === "running") {
        entry.dropped = true;
        entry.next = undefined;
      } else {
        this.timers.clearTimeout(entry.timer);
        this.entries.delete(key);
      }
    }
    const now = this.timers.now();
    for (const [key, startedAt] of this.recentStarts) {
      if (now - startedAt >= this.minIntervalMs) this.recentStarts.delete(key);
    }
    for (const [key, job] of jobs) {
      const entry = this.entries.get(key);
      if (entry === undefined) {
        this.entries.set(key, {
          job,
          phase: "queued",
          attempt: 0,
          doneAt: 0,
          timer: undefined,
          next: undefined,
          dropped: false,
          lastStartAt: this.recentStarts.get(key) ?? Number.NEGATIVE_INFINITY,
        });
        this.queue.push(key);
        continue;
      }
      entry.dropped = false;
      if (entry.job.fingerprint === job.fingerprint) {
        entry.next = undefined;
        if (entry.phase === "done" && now - entry.doneAt >= this.confirmAfterMs)
          this.requeue(key, entry, job);
        continue;
      }
      if (entry.phase === "running") entry.next = job;
      else this.requeue(key, entry, job);
    }
    this.pump();
  }

  /** Keys with a write not yet done (queued, running or waiting to retry). */
  get pending(): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.phase !== "done" && e.phase !== "failed") n++;
    return n;
  }

  /**
   * Writes queued or running now: the backlog that more writes would wait behind. Retries waiting
   * out a backoff do not count (a few Services failing for minutes is no backlog).
   */
  get backlog(): number {
    return this.running + this.queued;
  }

  /** Resolves when nothing is queued or running (retries waiting on a timer do not count). */
  idle(): Promise<void> {
    if (this.running === 0 && this.queued === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Cancels retries and waits for the writes in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const entry of this.entries.values()) this.timers.clearTimeout(entry.timer);
    this.queue.length = 0;
    this.head = 0;
    await this.idle();
    this.entries.clear();
  }

  private requeue(key: string, entry: Entry, job: KeyedJob): void {
    this.timers.clearTimeout(entry.timer);
    entry.job = job;
    entry.attempt = 0;
    entry.timer = undefined;
    if (entry.phase !== "queued") {
      entry.phase = "queued";
      this.queue.push(key);
    }
  }

  private get queued(): number {
    return this.queue.length - this.head;
  }

  /**
   * While paused, no write starts (those running finish, retries wait their turn); setDesired
   * still records what is wanted, and it all starts when the pause ends.
   */
  pause(paused: boolean): void {
    if (this.paused === paused) return;
    this.paused = paused;
    if (!paused) this.pump();
  }

  private pump(): void {
    while (!this.stopped && !this.paused && this.running < this.concurrency && this.queued > 0) {
      const key = this.queue[this.head++]!;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      const entry = this.entries.get(key);
      if (entry === undefined || entry.phase !== "queued") continue;
      const wait = entry.lastStartAt + this.minIntervalMs - this.timers.now();
      if (wait > 0) {
        this.startLater(key, entry, wait);
        continue;
      }
      this.start(key, entry);
    }
    if (this.running === 0 && this.queued === 0) {
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const w of waiters) w();
    }
  }

  /**
   * Queued again after `waitMs`: too soon after this key's last write (minIntervalMs), or a
   * failed write's backoff. Forgotten if the key left the set or changed meanwhile.
   */
  private startLater(key: string, entry: Entry, waitMs: number): void {
    entry.phase = "retryWait";
    entry.timer = this.timers.setTimeout(() => {
      if (this.stopped || this.entries.get(key) !== entry || entry.phase !== "retryWait") return;
      entry.phase = "queued";
      entry.timer = undefined;
      this.queue.push(key);
      this.pump();
    }, waitMs);
  }

  private start(key: string, entry: Entry): void {
    entry.phase = "running";
    entry.lastStartAt = this.timers.now();
    if (this.minIntervalMs > 0) this.recentStarts.set(key, entry.lastStartAt);
    this.running++;
    const job = entry.job;
    job
      .run()
      .then(
        () => this.finished(key, entry, undefined),
        (error: unknown) => this.finished(key, entry, error ?? new Error("write failed")),
      )
      .finally(() => {
        this.running--;
        this.pump();
      });
  }

  private finished(key: string, entry: Entry, error: unknown): void {
    if (this.entries.get(key) !== entry) return;
    if (this.stopped) {
      // Stopping waits for this write, nothing after it: a newer version or a retry queued now
      // would never start, and the stop would wait for it for ever.
      if (error === undefined) this.options.onSuccess?.(key);
      else this.options.onError?.(key, error, entry.attempt + 1, true);
      return;
    }
    if (entry.dropped) {
      // No longer wanted (often: the watch showed this very write before its answer came back).
      // A success still happened and is reported; a failure no longer matters.
      this.entries.delete(key);
      if (error === undefined) this.options.onSuccess?.(key);
      return;
    }
    if (error === undefined) {
      this.options.onSuccess?.(key);
      entry.phase = "done";
      entry.doneAt = this.timers.now();
    } else {
      entry.attempt++;
      const terminal = this.options.isTerminal?.(error) ?? false;
      this.options.onError?.(key, error, entry.attempt, terminal);
      if (terminal) {
        entry.phase = "failed";
      } else if (entry.next === undefined) {
        this.startLater(
          key,
          entry,
          Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** (entry.attempt - 1)),
        );
      }
    }
    if (entry.next !== undefined) {
      const next = entry.next;
      entry.next = undefined;
      entry.phase = "done"; // so requeue pushes it
      this.requeue(key, entry, next);
    }
  }
}
