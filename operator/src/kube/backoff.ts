/**
 * Exponential backoff with jitter for reconnecting watches. Jitter spreads the reconnects of many
 * operators after an apiserver restart (the thundering herd client-go's reflector also avoids).
 */
export interface BackoffOptions {
  /** First delay. */
  initialMs?: number;
  /** Ceiling of the delay before jitter. */
  maxMs?: number;
  factor?: number;
  /** Width of the jitter band as a fraction of the delay: 0.5 means ±25% around it. */
  jitter?: number;
  /** A connection that stayed up this long resets the sequence to `initialMs`. */
  resetAfterMs?: number;
  /** [0, 1); injectable so tests get exact delays. */
  random?: () => number;
}

export class Backoff {
  readonly resetAfterMs: number;
  private attempt = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly factor: number;
  private readonly jitter: number;
  private readonly random: () => number;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? 200;
    this.maxMs = options.maxMs ?? 30_000;
    this.factor = options.factor ?? 2;
    this.jitter = options.jitter ?? 0.5;
    this.resetAfterMs = options.resetAfterMs ?? 60_000;
    this.random = options.random ?? Math.random;
  }

  /** The delay before the next attempt; each call lengthens the following one. */
  nextDelayMs(): number {
    const base = Math.min(this.maxMs, this.initialMs * this.factor ** this.attempt);
    this.attempt++;
    return Math.round(base * (1 - this.jitter / 2 + this.random() * this.jitter));
  }

  reset(): void {
    this.attempt = 0;
  }
}
