import { asyncScheduler, Observable, type OperatorFunction, type SchedulerLike, Subscription } from "rxjs";
import { keyOf as objectKeyOf } from "./keys.ts";
import type { KubeObject } from "./types.ts";
import type { WatchEvent } from "./watch.ts";

/**
 * The keys a store changed, in order, so a consumer holding two of its snapshots can ask what
 * differs between them without comparing every object. Positions are absolute; old entries are
 * dropped once the log is much longer than the store, and a relist starts a new log (after one,
 * nothing is known about what changed).
 */
class ChangeLog {
  private keys: string[] = [];
  private dropped = 0;

  get position(): number {
    return this.dropped + this.keys.length;
  }

  record(key: string, storeSize: number): void {
    this.keys.push(key);
    const keep = Math.max(4096, 2 * storeSize);
    if (this.keys.length > 2 * keep) {
      const drop = this.keys.length - keep;
      this.keys = this.keys.slice(drop);
      this.dropped += drop;
    }
  }

  between(from: number, to: number): ReadonlySet<string> | undefined {
    if (from < this.dropped || to < from) return undefined;
    return new Set(this.keys.slice(from - this.dropped, to - this.dropped));
  }
}

const logPositions = new WeakMap<ReadonlyMap<string, unknown>, { log: ChangeLog; position: number }>();

/**
 * The keys whose objects may differ between two `objects` maps of one store's snapshots (older
 * first); undefined when that is not known (different stores, a relist in between, or too long
 * ago): then compare everything.
 */
export function changedKeysBetween(
  older: ReadonlyMap<string, unknown>,
  newer: ReadonlyMap<string, unknown>,
): ReadonlySet<string> | undefined {
  const a = logPositions.get(older);
  const b = logPositions.get(newer);
  if (a === undefined || b === undefined || a.log !== b.log) return undefined;
  return a.log.between(a.position, b.position);
}

/** One immutable view of a reflector store. */
export interface StoreSnapshot<T> {
  /** Objects by key (ReflectOptions.key; keys.ts by default). Never mutated after it is handed out. */
  readonly objects: ReadonlyMap<string, T>;
  /** true from the first `initDone` on: the store has seen a complete list at least once. */
  readonly synced: boolean;
  /** resourceVersion of the last completed list (opaque; for logs). */
  readonly listResourceVersion?: string;
}

/**
 * A reflector store (kube-rs' reflector Writer): folds watcher events into snapshots.
 * A (re)list is buffered from `init` to `initDone` and then swapped in whole, so objects missing
 * from the new list disappear and no reader ever sees half a list.
 *
 * Copy-on-write: changes go to a working map that is copied from the last published snapshot on
 * the first change after a read, so a burst of N events between two reads costs one O(n) copy, not
 * N of them (10k status updates on 10k objects would otherwise be 10^8 map operations). A snapshot
 * once read is never mutated.
 */
export class Reflector<T extends object> {
  private published: StoreSnapshot<T> = { objects: new Map(), synced: false };
  /** Changes not yet published; undefined while nothing changed since the last read. */
  private working: Map<string, T> | undefined;
  private buffer: Map<string, T> | undefined;
  /** A copy of the published objects made while idle (ReflectOptions.spareCopy), for the next change. */
  private spare: Map<string, T> | undefined;
  /** Kept only for consumers that ask (ReflectOptions.changeLog). */
  private log: ChangeLog | undefined;

  /** See ReflectOptions.unchanged and ReflectOptions.changeLog; `keyOf` says each object's key. */
  constructor(
    private readonly unchanged?: (before: T, after: T) => boolean,
    keepsChangeLog = false,
    private readonly keyOf: (object: T) => string = objectKeyOf as (object: T) => string,
  ) {
    if (keepsChangeLog) this.log = new ChangeLog();
  }

  /** The object held for `key` now, when `object` is unchanged from it (so its identity is kept). */
  private keptFor(key: string, object: T): T | undefined {
    if (this.unchanged === undefined) return undefined;
    const before = (this.working ?? this.published.objects).get(key);
    return before !== undefined && this.unchanged(before, object) ? before : undefined;
  }

  get snapshot(): StoreSnapshot<T> {
    if (this.working !== undefined) {
      this.published = { ...this.published, objects: this.working };
      if (this.log) logPositions.set(this.working, { log: this.log, position: this.log.position });
      this.working = undefined;
    }
    return this.published;
  }

  private current(): Map<string, T> {
    if (this.working === undefined) {
      this.working = this.spare ?? new Map(this.published.objects);
      this.spare = undefined;
    }
    return this.working;
  }

  /**
   * Copies the published objects now, while nothing waits, so that the next change does not pay
   * the copy on its way (ReflectOptions.spareCopy). The spare always equals the published objects:
   * it is taken by the first change after it and dropped by a relist.
   */
  makeSpare(): void {
    if (this.working === undefined && this.spare === undefined) this.spare = new Map(this.published.objects);
  }

  private has(key: string): boolean {
    return (this.working ?? this.published.objects).has(key);
  }

  /** Objects the next snapshot holds. */
  get size(): number {
    return (this.working ?? this.published.objects).size;
  }

  /** Applies one event; returns true when it changed what the next snapshot holds. */
  apply(event: WatchEvent<T>): boolean {
    switch (event.type) {
      case "init":
        this.buffer = new Map();
        return false;
      case "initApply": {
        // An initApply without init (cannot happen with listWatch$) still lands in a frame.
        this.buffer ??= new Map();
        const key = this.keyOf(event.object);
        this.buffer.set(key, this.keptFor(key, event.object) ?? event.object);
        return false;
      }
      case "initDone": {
        this.working = undefined;
        this.spare = undefined;
        const objects = this.buffer ?? new Map<string, T>();
        if (this.log) {
          this.log = new ChangeLog();
          logPositions.set(objects, { log: this.log, position: 0 });
        }
        this.published = { objects, synced: true, listResourceVersion: event.resourceVersion };
        this.buffer = undefined;
        return true;
      }
      case "apply":
      case "delete": {
        // A change that arrives while a relist frame is open (impossible from one listWatch$, which
        // lists and watches in turn) would be overwritten by the swap; record it in the frame too.
        const key = this.keyOf(event.object);
        if (event.type === "apply") {
          const kept = this.keptFor(key, event.object);
          this.buffer?.set(key, kept ?? event.object);
          if (kept !== undefined) return false;
        } else this.buffer?.delete(key);
        if (event.type === "delete") {
          if (!this.has(key)) return false;
          this.current().delete(key);
        } else {
          this.current().set(key, event.object);
        }
        this.log?.record(key, this.current().size);
        return true;
      }
    }
  }
}

export interface ReflectOptions<T = KubeObject> {
  /**
   * Each object's store key. Default: `namespace/name` (keys.ts), for Kubernetes objects. A store
   * of objects projected into another shape names the key they carry (the speaker's Service
   * requests carry their `namespace/name` already: one text per Service, not two).
   */
  readonly key?: (object: T) => string;
  /**
   * Where the snapshot of a burst is published. Default: the next turn of the event loop
   * (setImmediate), so every event that arrived in one read of the watch stream lands in one
   * snapshot; a timer of 0 ms would wait at least 1 ms more, on every change. Spaced publications (below) wait on asyncScheduler. `null`: one
   * snapshot per change, synchronously (tests, and consumers that need every intermediate state).
   */
  readonly scheduler?: SchedulerLike | null;
  /**
   * Each publication costs one O(n) copy at the next change (copy-on-write), so a large store
   * publishes at most once per `n × spacingPerObjectMs` (default 0.001: 10k objects, 10 ms) while
   * changes keep coming; a change after a quiet spell is still published on the next macrotask.
   * Spacing under 1 ms (stores under 1000 objects) is not applied. (What unspaced copies cost:
   * docs/figures.md, "Footprint and scale".)
   */
  readonly spacingPerObjectMs?: number;
  /**
   * The consumer's own pace, asked at each change that finds nothing pending: publications while
   * changes keep coming are at least this far apart when it is above the size-based spacing. The
   * controller's reconcile takes one snapshot per 100 ms while its Service writer has a backlog;
   * each publication in between would cost the copy-on-write copy of 10k objects for nothing.
   */
  readonly minSpacingMs?: () => number;
  /**
   * Whether an incoming object says nothing new about the one held under its key. Such an update
   * (or the same object in a relist) keeps the held object, identity included, and publishes
   * nothing. For projected stores (kube/projections.ts): most updates of a Service or slice touch
   * fields the projection drops, and identity is what the speaker's decision memo compares.
   */
  readonly unchanged?: (before: T, after: T) => boolean;
  /**
   * Keep the log of changed keys that changedKeysBetween reads (default false). It holds up to
   * four keys per stored object, megabytes of strings at 10k, so only the consumer that diffs
   * snapshots (the controller's Services) keeps it.
   */
  readonly changeLog?: boolean;
  /**
   * After each publication, copy the objects for the next change on the following turn of the
   * event loop (default false). The copy costs the same CPU, but not on a change's path. It keeps
   * one more map of the store alive, so only the controller's Services store asks for it.
   */
  readonly spareCopy?: boolean;
}

/**
 * RxJS operator: watcher events in, store snapshots out (none for events inside a relist frame).
 * Each subscription owns a fresh Reflector. Completion publishes what is pending first.
 */
export function reflect<T extends KubeObject>(
  options: ReflectOptions<T> = {},
): OperatorFunction<WatchEvent<T>, StoreSnapshot<T>> {
  return reflectKeyed<T>(options);
}

/** reflect() for objects of any shape: `options.key` names their keys (default: keys.ts). */
export function reflectKeyed<T extends object>(
  options: ReflectOptions<T> = {},
): OperatorFunction<WatchEvent<T>, StoreSnapshot<T>> {
  const scheduler = options.scheduler === undefined ? asyncScheduler : options.scheduler;
  const spacingPerObjectMs = options.spacingPerObjectMs ?? 0.001;
  return (events$) =>
    new Observable<StoreSnapshot<T>>((subscriber) => {
      const reflector = new Reflector<T>(options.unchanged, options.changeLog, options.key);
      let pending: Subscription | undefined;
      let lastPublishedAt = Number.NEGATIVE_INFINITY;
      let spareQueued = false;
      const makeSpare = () => {
        spareQueued = false;
        if (!subscriber.closed) reflector.makeSpare();
      };
      const publish = () => {
        pending = undefined;
        if (scheduler !== null) lastPublishedAt = scheduler.now();
        subscriber.next(reflector.snapshot);
        if (options.spareCopy && !spareQueued) {
          spareQueued = true;
          setImmediate(makeSpare);
        }
      };
      const delayOf = (s: SchedulerLike): number => {
        const bySize = reflector.size * spacingPerObjectMs;
        const spacing = Math.max(bySize < 1 ? 0 : bySize, options.minSpacingMs?.() ?? 0);
        return spacing <= 0 ? 0 : Math.max(0, lastPublishedAt + spacing - s.now());
      };
      const schedulePublish = (s: SchedulerLike): Subscription => {
        const delay = delayOf(s);
        if (delay > 0 || options.scheduler !== undefined) return s.schedule(publish, delay);
        const immediate = setImmediate(publish);
        return new Subscription(() => clearImmediate(immediate));
      };
      const upstream = events$.subscribe({
        next: (event) => {
          if (!reflector.apply(event)) return;
          if (scheduler === null) publish();
          else pending ??= schedulePublish(scheduler);
        },
        error: (error) => subscriber.error(error),
        complete: () => {
          if (pending) {
            pending.unsubscribe();
            publish();
          }
          subscriber.complete();
        },
      });
      return () => {
        pending?.unsubscribe();
        upstream.unsubscribe();
      };
    });
}
