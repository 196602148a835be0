/**
 * Many stores in, one cluster snapshot out. Nothing is emitted until every store has finished its
 * first list (MetalLB's "initial load performed", kube-rs' `wait_until_ready`): a reconciler that ran
 * on a half-listed world would clear IPs of Services it has not seen yet. After that, a change that
 * comes after a quiet window goes out at once (a new Service's path should not wait for a burst that
 * is not there: MetalLB reconciles every event as it comes), and the changes that follow it within
 * `coalesceMs` are coalesced into one snapshot, the latest, at the window's end: a flood of watch
 * events costs one reconcile per window, and no change waits longer than one window.
 */
import {
  asyncScheduler,
  combineLatest,
  filter,
  map,
  type Observable,
  type SchedulerLike,
  throttle,
  timer,
} from "rxjs";
import type { StoreSnapshot } from "../kube/store.ts";

/** The objects of each named store, all from complete lists. */
export type SnapshotOf<S extends Record<string, Observable<StoreSnapshot<unknown>>>> = {
  readonly [K in keyof S]: S[K] extends Observable<StoreSnapshot<infer T>> ? ReadonlyMap<string, T> : never;
};

export interface ClusterSnapshotOptions {
  /**
   * Coalescing window; 0 passes every change through (still only after all stores synced). A
   * function is asked at the start of each window, so the window can follow the reconciler's cost
   * (a 100 ms reconcile under a flood of changes should not run 200 times a second).
   */
  readonly coalesceMs: number | (() => number);
  readonly scheduler?: SchedulerLike;
}

export function clusterSnapshot$<S extends Record<string, Observable<StoreSnapshot<unknown>>>>(
  stores: S,
  options: ClusterSnapshotOptions,
): Observable<SnapshotOf<S>> {
  const names = Object.keys(stores).sort() as (keyof S & string)[];
  const all$ = combineLatest(names.map((n) => stores[n]!)).pipe(
    filter((snapshots) => snapshots.every((s) => s.synced)),
  );
  const { coalesceMs } = options;
  const windowMs = typeof coalesceMs === "function" ? coalesceMs : () => coalesceMs;
  const scheduler = options.scheduler ?? asyncScheduler;
  const coalesced$ =
    typeof coalesceMs === "number" && coalesceMs <= 0
      ? all$
      : all$.pipe(throttle(() => timer(windowMs(), scheduler), { leading: true, trailing: true }));
  return coalesced$.pipe(
    map((snapshots) => {
      const out: Record<string, ReadonlyMap<string, unknown>> = {};
      names.forEach((n, i) => {
        out[n] = snapshots[i]!.objects;
      });
      return out as SnapshotOf<S>;
    }),
  );
}
