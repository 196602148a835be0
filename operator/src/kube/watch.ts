import { asyncScheduler, Observable, type SchedulerLike, type Subscription } from "rxjs";
import { Backoff, type BackoffOptions } from "./backoff.ts";
import { type KubeClient, withTypeMeta } from "./client.ts";
import { ApiError, isGone, ProtocolError, TransportError } from "./errors.ts";
import type { ResourceType } from "./resource.ts";
import type { KubeObject, RawWatchEvent } from "./types.ts";

/**
 * What a list+watch tells its consumer, framed like kube-rs' watcher events:
 * every (re)list is `init`, one `initApply` per listed object, then `initDone`; a store buffers
 * the frame and swaps its whole content at `initDone`. Between frames, `apply` (added or
 * modified) and `delete` carry single changes.
 */
export type WatchEvent<T> =
  | { readonly type: "init" }
  | { readonly type: "initApply"; readonly object: T }
  | { readonly type: "initDone"; readonly resourceVersion: string }
  | { readonly type: "apply"; readonly object: T }
  | { readonly type: "delete"; readonly object: T };

/** Why the watcher is about to wait and try again; for logs and metrics. */
export interface RetryInfo {
  /** undefined when the server simply ended the stream (e.g. at timeoutSeconds). */
  readonly error: unknown;
  readonly delayMs: number;
  /** true when the next attempt is a full relist (410 Gone, or the list itself failed). */
  readonly relist: boolean;
}

export interface ListWatchOptions {
  /** Absent: all namespaces of a namespaced resource. */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** `limit` of each list page (API conventions, "Retrieving large results sets in chunks"). */
  pageSize?: number;
  /**
   * Skip the initial list and watch from this resourceVersion. No `init` frame is emitted until
   * a relist happens (e.g. after a 410), so a store fed this way is not synced before that. Meant
   * for resuming and for forcing a 410 in tests.
   */
  startFromResourceVersion?: string;
  /**
   * `timeoutSeconds` of each watch request. Default: random in [300, 600), as client-go's reflector
   * does, so that many watchers do not reconnect in lockstep.
   */
  watchTimeoutSeconds?: number;
  /**
   * A watch still open this long after `watchTimeoutSeconds` is presumed dead (a silently dropped
   * connection never ends by itself) and is aborted and resumed.
   */
  watchGraceMs?: number;
  backoff?: BackoffOptions;
  /** Clock and timers (backoff waits, watch deadlines). Tests inject a virtual one. */
  scheduler?: SchedulerLike;
  onRetry?: (info: RetryInfo) => void;
}

/** The part of KubeClient a watcher needs. */
export type ListWatchClient = Pick<KubeClient, "list" | "openWatch">;

/**
 * List+watch of one resource as a cold Observable: each subscription runs its own list+watch loop.
 * It never errors and never completes: failures are retried (see below) and reported to
 * `onRetry`; unsubscribing aborts the request in flight and cancels every timer.
 *
 * Recovery, following the API conventions ("Efficient detection of changes"):
 * - 410 Gone, as an HTTP status or as an in-stream ERROR event (reason "Expired"): the
 *   resourceVersion left the apiserver's window; relist at once (a second 410 in a row backs off).
 * - stream end, network error, 5xx or any other error: resume the watch from the last
 *   resourceVersion seen (events, bookmarks), after an exponential backoff with jitter that resets
 *   once a connection has stayed up for `backoff.resetAfterMs`.
 * resourceVersion is opaque: it is only stored and sent back, never compared or parsed.
 */
export function listWatch$<T extends KubeObject>(
  client: ListWatchClient,
  resource: ResourceType,
  options: ListWatchOptions = {},
): Observable<WatchEvent<T>> {
  return new Observable<WatchEvent<T>>((subscriber) => {
    const stop = new AbortController();
    runListWatch<T>(client, resource, options, (event) => subscriber.next(event), stop.signal).catch(
      (error) => {
        // The loop catches everything it can recover from; reaching here is a bug worth surfacing.
        if (!stop.signal.aborted) subscriber.error(error);
      },
    );
    return () => stop.abort(new WatchStopped());
  });
}

/** The abort reason used when a subscriber unsubscribes. */
export class WatchStopped extends Error {
  readonly code = "KUBE_WATCH_STOPPED";
  override readonly name = "WatchStopped";
  constructor() {
    super("watch stopped by its subscriber");
  }
}

async function runListWatch<T extends KubeObject>(
  client: ListWatchClient,
  resource: ResourceType,
  options: ListWatchOptions,
  emit: (event: WatchEvent<T>) => void,
  signal: AbortSignal,
): Promise<void> {
  const scheduler = options.scheduler ?? asyncScheduler;
  const backoff = new Backoff(options.backoff);
  const selectors = {
    namespace: options.namespace,
    labelSelector: options.labelSelector,
    fieldSelector: options.fieldSelector,
  };
  let resourceVersion = options.startFromResourceVersion;
  let needList = resourceVersion === undefined;
  /** 410s since the last sign of progress; guards against a relist loop. */
  let goneStreak = 0;

  while (!signal.aborted) {
    let connectedAt: number | undefined;
    let failure: unknown;
    try {
      if (needList) {
        resourceVersion = await relist(
          client,
          resource,
          { ...selectors, pageSize: options.pageSize },
          emit,
          signal,
        );
        needList = false;
      }
      const watchTimeoutSeconds = options.watchTimeoutSeconds ?? 300 + Math.floor(Math.random() * 300);
      const watchAbort = new AbortController();
      const onStop = () => watchAbort.abort(signal.reason);
      signal.addEventListener("abort", onStop, { once: true });
      const deadline = scheduler.schedule(
        () => watchAbort.abort(new TransportError(`watch ${resource.plural}: no end after its timeout`)),
        watchTimeoutSeconds * 1000 + (options.watchGraceMs ?? 30_000),
      );
      try {
        const events = await client.openWatch<T>(resource, {
          ...selectors,
          resourceVersion,
          allowWatchBookmarks: true,
          timeoutSeconds: watchTimeoutSeconds,
          signal: watchAbort.signal,
        });
        connectedAt = scheduler.now();
        for await (const event of events) {
          if (signal.aborted) return;
          resourceVersion = progressOf(event, resource) ?? resourceVersion;
          goneStreak = 0;
          if (event.type === "ADDED" || event.type === "MODIFIED") {
            emit({ type: "apply", object: withTypeMeta(resource, event.object) });
          } else if (event.type === "DELETED") {
            emit({ type: "delete", object: withTypeMeta(resource, event.object) });
          }
        }
      } finally {
        deadline.unsubscribe();
        signal.removeEventListener("abort", onStop);
      }
    } catch (error) {
      if (signal.aborted) return;
      failure = error;
    }
    if (signal.aborted) return;

    let delayMs: number;
    if (isGone(failure)) {
      needList = true;
      goneStreak++;
      delayMs = goneStreak === 1 ? 0 : backoff.nextDelayMs();
    } else {
      if (connectedAt !== undefined && scheduler.now() - connectedAt >= backoff.resetAfterMs) backoff.reset();
      delayMs = backoff.nextDelayMs();
    }
    options.onRetry?.({ error: failure, delayMs, relist: needList });
    if (delayMs > 0) await sleep(scheduler, delayMs, signal);
  }
}

/**
 * Emits one `init` ... `initDone` frame from a paginated, consistent list (resourceVersion unset:
 * served from etcd at its latest revision, so a relist never goes back in time) and returns the
 * list's resourceVersion, the point to watch from. A failure mid-way leaves the frame open; the
 * next attempt starts a new `init`, which a store treats as "discard the partial frame".
 */
async function relist<T extends KubeObject>(
  client: ListWatchClient,
  resource: ResourceType,
  options: { namespace?: string; labelSelector?: string; fieldSelector?: string; pageSize?: number },
  emit: (event: WatchEvent<T>) => void,
  signal: AbortSignal,
): Promise<string> {
  emit({ type: "init" });
  let continueToken: string | undefined;
  let resourceVersion: string | undefined;
  do {
    const page = await client.list<T>(resource, {
      namespace: options.namespace,
      labelSelector: options.labelSelector,
      fieldSelector: options.fieldSelector,
      limit: options.pageSize ?? 500,
      continue: continueToken,
      signal,
    });
    for (const item of page.items) {
      if (signal.aborted) return "";
      emit({ type: "initApply", object: withTypeMeta(resource, item) });
    }
    resourceVersion = page.metadata.resourceVersion;
    continueToken = page.metadata.continue || undefined;
  } while (continueToken !== undefined && !signal.aborted);
  if (!resourceVersion) throw new ProtocolError(`list ${resource.plural}: answer has no resourceVersion`);
  emit({ type: "initDone", resourceVersion });
  return resourceVersion;
}

/**
 * The resourceVersion a watch event moves us to (bookmarks included, silently). ERROR events are
 * thrown as ApiError so the caller's 410 handling sees them like an HTTP 410.
 */
function progressOf<T extends KubeObject>(
  event: RawWatchEvent<T>,
  resource: ResourceType,
): string | undefined {
  if (event.type === "ERROR") {
    throw ApiError.fromStatus(event.object, event.object.code ?? 500);
  }
  if (!event.object?.metadata) {
    throw new ProtocolError(`watch ${resource.plural}: ${event.type} event without an object`);
  }
  return event.object.metadata.resourceVersion || undefined;
}

function sleep(scheduler: SchedulerLike, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    let timer: Subscription | undefined;
    let settled = false;
    const done = () => {
      settled = true;
      timer?.unsubscribe();
      signal.removeEventListener("abort", done);
      resolve();
    };
    signal.addEventListener("abort", done, { once: true });
    timer = scheduler.schedule(done, ms);
    // A virtual scheduler may run `done` synchronously, before `timer` was assigned.
    if (settled) timer.unsubscribe();
  });
}
