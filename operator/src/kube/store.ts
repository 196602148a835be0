import { Observable, type OperatorFunction } from "rxjs";
import { keyOf } from "./keys.ts";
import type { KubeObject } from "./types.ts";
import type { WatchEvent } from "./watch.ts";

/** One immutable view of a reflector store. */
export interface StoreSnapshot<T> {
  /** Objects by {@link keyOf}. Never mutated after it is handed out. */
  readonly objects: ReadonlyMap<string, T>;
  /** true from the first `initDone` on: the store has seen a complete list at least once. */
  readonly synced: boolean;
  /** resourceVersion of the last completed list (opaque; for logs). */
  readonly listResourceVersion?: string;
}

/**
 * A reflector store (kube-rs' reflector Writer): folds watcher events into snapshots.
 * A (re)list is buffered from `init` to `initDone` and then swapped in whole, so objects missing
 * from the new list disappear and no reader ever sees half a list. Each change copies the map
 * (O(n) per event): simple and safe to share; the pipeline debounces snapshots anyway.
 */
export class Reflector<T extends KubeObject> {
  private current: StoreSnapshot<T> = { objects: new Map(), synced: false };
  private buffer: Map<string, T> | undefined;

  get snapshot(): StoreSnapshot<T> {
    return this.current;
  }

  /** Applies one event; returns true when it produced a new snapshot. */
  apply(event: WatchEvent<T>): boolean {
    switch (event.type) {
      case "init":
        this.buffer = new Map();
        return false;
      case "initApply":
        // An initApply without init (cannot happen with listWatch$) still lands in a frame.
        this.buffer ??= new Map();
        this.buffer.set(keyOf(event.object), event.object);
        return false;
      case "initDone":
        this.current = {
          objects: this.buffer ?? new Map(),
          synced: true,
          listResourceVersion: event.resourceVersion,
        };
        this.buffer = undefined;
        return true;
      case "apply":
      case "delete": {
        // A change that arrives while a relist frame is open (impossible from one listWatch$, which
        // lists and watches in turn) would be overwritten by the swap; record it in the frame too.
        const key = keyOf(event.object);
        if (event.type === "apply") this.buffer?.set(key, event.object);
        else this.buffer?.delete(key);
        if (event.type === "delete" && !this.current.objects.has(key)) return false;
        const objects = new Map(this.current.objects);
        if (event.type === "apply") objects.set(key, event.object);
        else objects.delete(key);
        this.current = { ...this.current, objects };
        return true;
      }
    }
  }
}

/**
 * RxJS operator: watcher events in, store snapshots out (one per change, none for events inside a
 * relist frame). Each subscription owns a fresh Reflector.
 */
export function reflect<T extends KubeObject>(): OperatorFunction<WatchEvent<T>, StoreSnapshot<T>> {
  return (events$) =>
    new Observable<StoreSnapshot<T>>((subscriber) => {
      const reflector = new Reflector<T>();
      return events$.subscribe({
        next: (event) => {
          if (reflector.apply(event)) subscriber.next(reflector.snapshot);
        },
        error: (error) => subscriber.error(error),
        complete: () => subscriber.complete(),
      });
    });
}
