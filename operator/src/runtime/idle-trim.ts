/**
 * Gives memory back to the OS once a burst of work is over. A reconcile over 10k Services
 * allocates a lot that is garbage a moment later; the JavaScript heap keeps those pages after
 * collecting them, so a speaker that handled one flood would sit at its peak RSS forever.
 * Measured (bench speaker-micro, 10k Services): 167 MB resident after the reconciles, 101 MB after
 * a full collection and Bun.shrink(). So: after `quietMs` without a cycle, once per burst, collect
 * and shrink. Small bursts (cycles shorter than `minBusyMs` in total) are not worth a full GC.
 *
 * And after every cycle, a collection it does not wait for. The heap collects when what was allocated
 * since the last collection passes a budget that grows with the heap, and it never moves objects:
 * between two collections, a burst of reconciles spreads the few objects that survive (a changed
 * Service's record and decision) across the whole budget, so after the burst the heap is a
 * multiple of what is live, and the full collection above cannot give back a block that still
 * holds one live object. Collecting after each cycle keeps a cycle's survivors among that cycle's
 * garbage only. Measured (a simulation of a speaker's initial sync: 10k Services arriving 32 at a
 * time, a reconcile after each batch, 320 cycles): heap capacity 42.3 -> 26.1 MB and RssAnon
 * 52.3 -> 35.8 MB for the same 16.6 MB live. `Bun.gc(false)` asks the heap for a collection
 * without waiting for it (and the allocator to give back its free pages): 0.05 ms per call on
 * this thread.
 */
export interface IdleTrimOptions {
  readonly quietMs?: number;
  readonly minBusyMs?: number;
  /** Default: Bun.gc(true) then Bun.shrink(). */
  readonly trim?: () => void;
  readonly onTrim?: (info: { busyMs: number; trimMs: number }) => void;
  /**
   * After every cycle, on the next turn of the event loop. Default: Bun.gc(false), a collection
   * not waited for.
   */
  readonly collectSoon?: () => void;
}

function bunTrim(): void {
  Bun.gc(true);
  (Bun as unknown as { shrink?: () => void }).shrink?.();
}

export class IdleTrimmer {
  private busyMs = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private readonly quietMs: number;
  private readonly minBusyMs: number;
  private readonly trim: () => void;
  private readonly collectSoon: () => void;
  private collectPending = false;

  constructor(private readonly options: IdleTrimOptions = {}) {
    this.quietMs = options.quietMs ?? 2_000;
    this.minBusyMs = options.minBusyMs ?? 200;
    this.trim = options.trim ?? bunTrim;
    this.collectSoon = options.collectSoon ?? (() => Bun.gc(false));
  }

  /** A cycle of work just ended, having taken `ms`. */
  noteCycle(ms: number): void {
    // Not in the cycle's own turn: the requests it started (a Service's IP) leave on the promise
    // jobs that follow it, and a collection asked for here held them about 1 ms (bench peers).
    if (!this.collectPending) {
      this.collectPending = true;
      setImmediate(() => {
        this.collectPending = false;
        this.collectSoon();
      });
    }
    this.busyMs += ms;
    if (this.busyMs < this.minBusyMs) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.run(), this.quietMs);
    // Never what keeps the process alive.
    (this.timer as { unref?: () => void }).unref?.();
  }

  stop(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private run(): void {
    this.timer = undefined;
    const busyMs = this.busyMs;
    this.busyMs = 0;
    const started = performance.now();
    this.trim();
    this.options.onTrim?.({ busyMs, trimMs: performance.now() - started });
  }
}
