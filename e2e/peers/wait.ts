/**
 * Polling until a condition holds: BGP state settles on timers (hold, keepalive, connect-retry), so
 * tests of real daemons wait for an outcome instead of sleeping a guessed time.
 */

export interface WaitOptions {
  /** Give up after this long (default 15 s). */
  readonly timeoutMs?: number;
  /** Time between probes (default 100 ms). */
  readonly intervalMs?: number;
  /** What is awaited, for the error message. */
  readonly what?: string;
}

/**
 * Calls `probe` until it returns something other than undefined and returns that; throws after the
 * timeout with the last value seen by `describe` (or the probe's last error), so a failing test says
 * what it saw, not only that it waited.
 */
export async function waitFor<T>(
  probe: () => Promise<T | undefined>,
  opts: WaitOptions & { readonly describe?: () => Promise<string> } = {},
): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 15_000;
  const intervalMs = opts.intervalMs ?? 100;
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) break;
    await Bun.sleep(intervalMs);
  }
  const seen = opts.describe ? await opts.describe().catch((e) => `(describe failed: ${e})`) : "";
  const cause = lastError === undefined ? "" : `; last error: ${lastError}`;
  throw new Error(
    `waited ${timeoutMs} ms for ${opts.what ?? "a condition"}${seen ? `; saw ${seen}` : ""}${cause}`,
  );
}

/** waitFor for a boolean condition. */
export async function waitUntil(check: () => Promise<boolean>, opts: WaitOptions = {}): Promise<void> {
  await waitFor(async () => ((await check()) ? true : undefined), opts);
}
