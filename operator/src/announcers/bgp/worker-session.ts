/**
 * The main thread's side of one session hosted in the BGP session Worker: a ManagedSession that
 * posts what the announcer asks (start, route deltas, flushed, stop) and replays what the Worker
 * reports (status, logs, metrics) on the caller's options, so the announcer and the metrics see
 * what they would see of an in-thread BgpSession.
 *
 * If the Worker fails (its code could not be loaded, or it crashed), the session carries on as an
 * in-thread BgpSession with the same spec, routes and callbacks (`fallBack`): a session on the
 * main thread is better than none.
 */
import type { BgpRoute, BgpSessionSpec, BgpSessionStatus } from "../../domain/bgp/types.ts";
import type { ManagedSession } from "./announcer.ts";
import type { StopCause } from "./fsm.ts";
import { RouteSender } from "./route-delta.ts";
import { BgpSession, type BgpSessionOptions, NOTIFICATION_GRACE_MS, peerLabel } from "./session.ts";
import type { SessionEvent, ToSessionWorker, WorkerSessionConfig } from "./session-worker-protocol.ts";

/** How the session reaches its Worker (session-worker-host.ts). */
export interface SessionChannel {
  post(message: ToSessionWorker): void;
  /** The session is stopped; the host may end the Worker when it hosts nothing else. */
  ended(session: number): void;
}

/** Beyond the Worker's own bound on the Cease (NOTIFICATION_GRACE_MS): a Worker that never answers. */
const STOP_ANSWER_MS = NOTIFICATION_GRACE_MS + 1000;

/** The data a Worker session can take from BgpSessionOptions; the interface table is read now. */
export function workerConfigOf(options: BgpSessionOptions): WorkerSessionConfig {
  return {
    nodeName: options.nodeName,
    dialTimeoutS: options.dialTimeoutS,
    openSentHoldS: options.openSentHoldS,
    interfaces: options.interfaces?.(),
  };
}

export class WorkerSession implements ManagedSession {
  readonly label: string;
  private current: BgpSessionStatus;
  private readonly sender = new RouteSender();
  private routes: readonly BgpRoute[] = [];
  private started = false;
  private stopping = false;
  private inline: BgpSession | undefined;
  private readonly waiting = new Map<number, () => void>();
  private nextRequest = 1;

  constructor(
    readonly id: number,
    private readonly spec: BgpSessionSpec,
    private readonly options: BgpSessionOptions,
    private readonly channel: SessionChannel,
  ) {
    this.label = peerLabel(spec);
    this.current = { peer: spec.peer, state: "idle", lastError: undefined };
    channel.post({ type: "create", session: id, spec, config: workerConfigOf(options) });
  }

  /** Whether the session now runs on the main thread (the Worker failed). */
  get inThread(): boolean {
    return this.inline !== undefined;
  }

  status(): BgpSessionStatus {
    return this.inline?.status() ?? this.current;
  }

  start(): void {
    this.started = true;
    if (this.inline) this.inline.start();
    else this.channel.post({ type: "start", session: this.id });
  }

  setRoutes(routes: readonly BgpRoute[]): void {
    this.routes = routes;
    if (this.inline) {
      this.inline.setRoutes(routes);
      return;
    }
    const delta = this.sender.delta(routes);
    if (delta) this.channel.post({ type: "routes", session: this.id, delta });
  }

  bfdDown(): void {
    if (this.inline) this.inline.bfdDown();
    else this.channel.post({ type: "bfdDown", session: this.id });
  }

  flushed(): Promise<void> {
    if (this.inline) return this.inline.flushed();
    return this.request((request) => ({ type: "flushed", session: this.id, request }));
  }

  async stop(cause: StopCause): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.inline) await this.inline.stop(cause);
    else {
      const answered = this.request((request) => ({ type: "stop", session: this.id, request, cause }));
      await Promise.race([answered, Bun.sleep(STOP_ANSWER_MS)]);
    }
    this.channel.ended(this.id);
  }

  /** One event the Worker reported for this session. */
  onEvent(event: SessionEvent): void {
    const metrics = this.options.metrics;
    switch (event.type) {
      case "status":
        this.current = event.status;
        this.options.onStatus?.(event.status);
        return;
      case "log":
        this.options.log?.[event.level](event.fields, event.msg);
        return;
      case "sessionUp":
        metrics?.sessionUp(this.label, event.up);
        return;
      case "updateSent":
        metrics?.updateSent(this.label);
        return;
      case "prefixes":
        metrics?.prefixes(this.label, event.announced, event.pending);
        return;
      case "messageSent":
        metrics?.messageSent(this.label, event.kind);
        return;
      case "messageReceived":
        metrics?.messageReceived(this.label, event.kind);
        return;
      case "done": {
        const resolve = this.waiting.get(event.request);
        this.waiting.delete(event.request);
        resolve?.();
        return;
      }
    }
  }

  /** The Worker is gone: answer what waits on it and, unless stopping, run the session here. */
  fallBack(): void {
    for (const resolve of this.waiting.values()) resolve();
    this.waiting.clear();
    if (this.stopping || this.inline) return;
    if (this.current.state === "established") this.options.metrics?.sessionUp(this.label, false);
    this.inline = new BgpSession(this.spec, this.options);
    this.inline.setRoutes(this.routes);
    if (this.started) this.inline.start();
  }

  private request(message: (request: number) => ToSessionWorker): Promise<void> {
    const request = this.nextRequest++;
    return new Promise((resolve) => {
      this.waiting.set(request, resolve);
      this.channel.post(message(request));
    });
  }
}
