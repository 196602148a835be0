/**
 * Request deadlines shared by the requests that start close together: one `AbortSignal.timeout`
 * per slice of time instead of a timer per request (a cold start sends hundreds of writes a
 * second). The signal a request gets fires between `timeoutMs` and `timeoutMs` + one slice after
 * the request started, never before: a slice is a tenth of the timeout, at most a second.
 */
export class SharedDeadline {
  private readonly sliceMs: number;
  private current: { readonly signal: AbortSignal; readonly until: number } | undefined;

  constructor(
    private readonly timeoutMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.sliceMs = Math.min(1000, timeoutMs / 10);
  }

  /** The signal for a request starting now. */
  signal(): AbortSignal {
    const at = this.now();
    if (this.current === undefined || at >= this.current.until) {
      this.current = { signal: AbortSignal.timeout(this.timeoutMs + this.sliceMs), until: at + this.sliceMs };
    }
    return this.current.signal;
  }
}
