/**
 * The reconcile loop both components run: each input (a coalesced cluster snapshot, and for the
 * speaker the live members and interfaces) is reconciled against the state the previous run left
 * (folded through `scan`), then the outcome is applied (writers, announcers, Events, metrics).
 *
 * What it adds over wiring the operators by hand, the same for both: a cycle's cost is measured
 * from input to applied effects (the coalescing window follows it, and the idle memory trim is
 * told), and an exception while applying is logged without ending the loop (an rxjs subscriber
 * that throws is closed for good); the next cycle applies the whole desired set again.
 */
import { type Observable, type Subscription, scan } from "rxjs";
import type { Logger } from "../observability/log.ts";

export interface Cycle<Input, Outcome> {
  readonly input: Input;
  readonly outcome: Outcome;
  /** The outcome of the run before this one, if any (for "what changed" logs). */
  readonly previous: Outcome | undefined;
}

export interface ReconcileLoopOptions<Source, Input, State, Outcome> {
  /** Turns what the sources emit into the reconciler's input (counted in the cycle's cost). */
  readonly prepare: (source: Source) => Input;
  readonly initialState: State;
  /** Pure: the whole input and the last state in, the outcome (with the next state) out. */
  readonly reconcile: (input: Input, state: State) => { readonly state: State; readonly outcome: Outcome };
  readonly apply: (cycle: Cycle<Input, Outcome>) => void;
  readonly log: Logger;
  /** Told how long each cycle took, reconcile and effects (ms). */
  readonly onCycle?: (ms: number) => void;
}

export interface ReconcileLoop {
  readonly subscription: Subscription;
  /** The last cycle's cost in ms (0 before the first). */
  lastCycleMs(): number;
}

interface Folded<Input, State, Outcome> {
  readonly state: State;
  readonly cycle?: Cycle<Input, Outcome>;
  readonly startedAt: number;
}

export function runReconcileLoop<Source, Input, State, Outcome>(
  source$: Observable<Source>,
  options: ReconcileLoopOptions<Source, Input, State, Outcome>,
): ReconcileLoop {
  let lastCycleMs = 0;
  const subscription = source$
    .pipe(
      scan(
        (acc: Folded<Input, State, Outcome>, source: Source): Folded<Input, State, Outcome> => {
          const startedAt = performance.now();
          const input = options.prepare(source);
          const { state, outcome } = options.reconcile(input, acc.state);
          return { state, startedAt, cycle: { input, outcome, previous: acc.cycle?.outcome } };
        },
        { state: options.initialState, startedAt: 0 },
      ),
    )
    .subscribe(({ cycle, startedAt }) => {
      if (cycle === undefined) return;
      try {
        options.apply(cycle);
      } catch (error) {
        options.log.error(
          { op: "reconcile", error: (error as Error).stack ?? String(error) },
          "applying a cycle failed",
        );
      }
      lastCycleMs = performance.now() - startedAt;
      options.onCycle?.(lastCycleMs);
    });
  return { subscription, lastCycleMs: () => lastCycleMs };
}
