/**
 * A process's planned stop, step by step: each step is timed and logged when it ends, and a stop
 * still under way after `slowAfterMs` names the step it waits on. The speaker's Pod has a 2 s
 * grace period (MetalLB's manifest too); past it the kubelet kills the process, and without these
 * lines nobody could tell which step ate the time.
 */
export interface StopStepLog {
  debug(fields: object, msg: string): void;
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
}

export type StopStep = readonly [name: string, run: () => Promise<unknown> | undefined];

export interface StopStepsOptions {
  readonly slowAfterMs?: number;
  readonly now?: () => number;
}

/** The speaker's grace period is 2 s: say which step holds the stop well before the kill. */
const DEFAULT_SLOW_AFTER_MS = 1_500;

/** Runs the steps in order; returns each step's duration in ms, by name. */
export async function runStopSteps(
  log: StopStepLog,
  steps: readonly StopStep[],
  options: StopStepsOptions = {},
): Promise<Record<string, number>> {
  const now = options.now ?? (() => performance.now());
  const started = now();
  const durations: Record<string, number> = {};
  let current = "";
  const slow = setTimeout(() => {
    log.warn(
      { op: "shutdown", waitingOn: current, elapsedMs: Math.round(now() - started) },
      "the stop is slow",
    );
  }, options.slowAfterMs ?? DEFAULT_SLOW_AFTER_MS);
  try {
    for (const [name, run] of steps) {
      current = name;
      const stepStarted = now();
      await run();
      durations[name] = Math.round(now() - stepStarted);
      log.debug({ op: "shutdown", step: name, ms: durations[name] }, "stop step done");
    }
  } finally {
    clearTimeout(slow);
  }
  log.info({ op: "shutdown", totalMs: Math.round(now() - started), steps: durations }, "stopped");
  return durations;
}
