/**
 * Runs BGP sessions in one Worker thread (session-worker.ts) and hands the announcer a
 * ManagedSession per peer (worker-session.ts). The Worker starts with the first session and ends
 * when the last one has stopped, so a speaker without BGP peers has no such thread.
 *
 * If the Worker fails, every session it hosted, and every later one, runs on the main thread
 * instead, and the failure is logged once.
 */
import type { BgpSessionSpec } from "../../domain/bgp/types.ts";
import type { SessionFactory } from "./announcer.ts";
import { type BgpLog, BgpSession, type BgpSessionOptions } from "./session.ts";
import type { FromSessionWorker, ToSessionWorker } from "./session-worker-protocol.ts";
import { WorkerSession } from "./worker-session.ts";

/**
 * Where the Worker's code is, wherever this module runs from (as membership.ts finds its Worker):
 * - from source: session-worker.ts beside this file;
 * - from the image's bundle (deploy/build.ts): this module is inlined into main.js, and the Worker
 *   is an entry point of its own, at announcers/bgp/session-worker.js beside it;
 * - from a `bun build --compile` executable: entry points are stored relative to their common
 *   directory (operator/src), so announcers/bgp/session-worker.ts beside the bundled main.
 */
export function sessionWorkerUrl(here: string): string {
  if (here.startsWith("file:///$bunfs/")) return new URL("./announcers/bgp/session-worker.ts", here).href;
  if (here.endsWith(".js")) return new URL("./announcers/bgp/session-worker.js", here).href;
  return new URL("./session-worker.ts", here).href;
}

export interface SessionWorkerHostOptions {
  /** Logs the Worker's failure. */
  readonly log?: BgpLog;
  /** Default: sessionWorkerUrl(import.meta.url). */
  readonly url?: string;
}

export class SessionWorkerHost {
  private worker: Worker | undefined;
  private readonly sessions = new Map<number, WorkerSession>();
  private nextSession = 1;
  /** Set once the Worker failed: from then on sessions run on the main thread. */
  private failure: string | undefined;

  /** For BgpAnnouncerOptions.sessionFactory. */
  readonly factory: SessionFactory = (spec, options) => this.create(spec, options);

  constructor(private readonly options: SessionWorkerHostOptions = {}) {}

  /** Sessions hosted now, and whether a Worker runs (tests). */
  get hosted(): { readonly sessions: number; readonly worker: boolean } {
    return { sessions: this.sessions.size, worker: this.worker !== undefined };
  }

  private create(spec: BgpSessionSpec, options: BgpSessionOptions) {
    if (this.failure !== undefined) return new BgpSession(spec, options);
    const id = this.nextSession++;
    const session = new WorkerSession(id, spec, options, {
      post: (message) => this.post(message),
      ended: (ended) => this.ended(ended),
    });
    this.sessions.set(id, session);
    return session;
  }

  private post(message: ToSessionWorker): void {
    if (this.failure !== undefined) return;
    this.worker ??= this.spawn();
    this.worker.postMessage(message);
  }

  private spawn(): Worker {
    const worker = new Worker(this.options.url ?? sessionWorkerUrl(import.meta.url));
    worker.onmessage = (event: MessageEvent<FromSessionWorker>) => {
      for (const e of event.data.events) this.sessions.get(e.session)?.onEvent(e);
    };
    worker.onerror = (event) => this.fail(event.message);
    // Not unref'd: a process whose last work is the handover must live until the Worker answers
    // `flushed`. The Worker ends with the last session.
    return worker;
  }

  private ended(session: number): void {
    this.sessions.delete(session);
    if (this.sessions.size > 0 || !this.worker) return;
    this.worker.terminate();
    this.worker = undefined;
  }

  private fail(reason: string): void {
    if (this.failure !== undefined) return;
    this.failure = reason;
    this.options.log?.error(
      { error: reason, sessions: this.sessions.size },
      "BGP session worker failed; sessions run on the main thread (its stalls can delay keepalives)",
    );
    this.worker?.terminate();
    this.worker = undefined;
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    for (const session of sessions) session.fallBack();
  }
}

/** The default session factory of the speaker: sessions on the "bgp" thread. */
export function workerSessionFactory(options: SessionWorkerHostOptions = {}): SessionFactory {
  return new SessionWorkerHost(options).factory;
}
