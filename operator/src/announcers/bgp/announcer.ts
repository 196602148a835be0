/**
 * The BGP announcer: one session per BGPPeer that selects this node (the announcer
 * contract in ../announcer.ts). The speaker hands it the whole desired set after every reconcile; each session gets
 * its routes and sends only what changed (session.ts, rib-out.ts).
 *
 * - A peer whose spec changed is restarted: Cease 6/6 (other configuration change, RFC 4486), then
 *   a new session with the new spec.
 * - A peer that is gone is ended: Cease 6/3 (peer de-configured).
 * - stop("now"): Cease 6/2 (administrative shutdown) to every peer, then close.
 * - stop("handover"), the planned stop of a rolling restart: withdraw every route first, wait until
 *   the withdrawals were taken by the kernel and a short grace for the router to reprogramme its
 *   FIB, then Cease 6/2; traffic has moved to the other nodes before the session ends. A session
 *   with graceful restart negotiated instead closes quietly with its routes in place: the router
 *   keeps them as stale, the node keeps forwarding, and the next speaker refreshes them.
 * - A peer with a bfdProfile also has a BFD session (bfd/, in a Worker of its own). BFD going
 *   Down from Up resets the BGP session at once (Cease 6/10, RFC 9384) rather than at hold expiry;
 *   a BFD profile change changes the BFD session only, never the BGP one.
 *
 * Sessions keep their own timers and sockets and never wait for the reconcile: setDesired only
 * stores sets and queues writes. The sessions are created through `sessionFactory`, the seam where a
 * Worker host (sessions on their own thread, as membership/worker.ts) plugs in.
 */
import { BehaviorSubject, type Observable } from "rxjs";
import type { BgpDesired, BgpRoute, BgpSessionSpec, BgpSessionStatus } from "../../domain/bgp/types.ts";
import type { Announcer, AnnouncerProtocol, StopMode } from "../announcer.ts";
import { diagName } from "../bfd/packet.ts";
import { type BfdSessions, type BfdStateChange, bfdPeersOf } from "./bfd-peers.ts";
import type { StopCause } from "./fsm.ts";
import {
  type BgpLog,
  BgpSession,
  type BgpSessionMetrics,
  type BgpSessionOptions,
  peerLabel,
} from "./session.ts";

/** After the withdrawals left: time for the router to recompute and reprogramme its FIB. */
export const HANDOVER_GRACE_MS = 1000;

/** What the announcer needs of a session (BgpSession, or a proxy to one in a Worker). */
export interface ManagedSession {
  readonly label: string;
  status(): BgpSessionStatus;
  start(): void;
  setRoutes(routes: readonly BgpRoute[]): void;
  /** The peer's BFD session went Down: reset the connection (Cease 6/10), then reconnect. */
  bfdDown(): void;
  /** Resolves when everything queued was written. */
  flushed(): Promise<void>;
  stop(cause: StopCause): Promise<void>;
}

export interface BgpAnnouncerMetrics extends BgpSessionMetrics {
  /** The session is gone: delete its label's series (MetalLB deletes them when the session closes). */
  sessionRemoved(peer: string): void;
}

export type SessionFactory = (spec: BgpSessionSpec, options: BgpSessionOptions) => ManagedSession;

export interface BgpAnnouncerOptions {
  readonly nodeName: string;
  readonly log?: BgpLog;
  readonly metrics?: BgpAnnouncerMetrics;
  /** Default: an in-thread BgpSession. */
  readonly sessionFactory?: SessionFactory;
  readonly handoverGraceMs?: number;
  /** Passed through to every session (clock, dialer, interfaces, timeouts), for tests. */
  readonly sessionOptions?: Partial<BgpSessionOptions>;
  /** BFD for the peers with a bfdProfile; its state changes come back through bfdChanged. */
  readonly bfd?: BfdSessions;
}

interface Entry {
  readonly spec: BgpSessionSpec;
  readonly key: string;
  readonly session: ManagedSession;
}

const NO_ROUTES: readonly BgpRoute[] = [];

/** Equal keys, equal BGP sessions; the BFD settings are the BFD session's business only. */
function specKey(spec: BgpSessionSpec): string {
  return JSON.stringify(
    Object.entries(spec)
      .filter(([field]) => field !== "bfd")
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  );
}

export class BgpAnnouncer implements Announcer<BgpDesired, readonly BgpSessionStatus[]> {
  readonly protocol: AnnouncerProtocol = "bgp";
  private readonly statuses = new BehaviorSubject<readonly BgpSessionStatus[]>([]);
  readonly status$: Observable<readonly BgpSessionStatus[]> = this.statuses.asObservable();
  private readonly sessions = new Map<string, Entry>();
  private desired: BgpDesired = { sessions: [], routes: new Map() };
  private started = false;
  private stopped = false;
  /** Sessions being ended; stop() waits for them. */
  private readonly ending = new Set<Promise<void>>();
  /**
   * Peer address (`ip:port`) -> the end of a session to it still sending its Cease. A new session
   * to the same address waits for it: dialled meanwhile, the router would see a second connection
   * from us while the first is open, refuse it as a collision, and our backoff would grow.
   */
  private readonly endingTo = new Map<string, Promise<void>>();
  /** Called after every end (allEnded). */
  private readonly endListeners = new Set<() => void>();
  /** The BFD set last handed over, as JSON. */
  private bfdKey = "[]";

  constructor(private readonly options: BgpAnnouncerOptions) {}

  async start(): Promise<void> {
    this.started = true;
    this.apply();
  }

  setDesired(desired: BgpDesired): void {
    if (this.stopped) return;
    this.desired = desired;
    if (this.started) this.apply();
  }

  async stop(how: StopMode): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const entries = [...this.sessions.values()];
    const restarting = entries.filter(
      (entry) => how === "handover" && entry.session.status().gracefulRestart,
    );
    const others = entries.filter((entry) => !restarting.includes(entry));
    // Graceful-restart sessions close quietly before BFD goes: the router already keeps their
    // routes as stale (RFC 4724 §4.2) when BFD says AdminDown, and a BFD down on a restarting peer
    // whose C bit is 0 is no reason to flush them (RFC 5882 §4.3.2). The other order loses them
    // against a router that takes a received AdminDown for a failure (FRR 8.4's bfdd does) and
    // resets the still-open session with a NOTIFICATION, which ends graceful restart.
    // Each ends once the router answered our FIN with its own: its BGP daemon has read the end of
    // the session before the AdminDown reaches it through its BFD daemon, however loaded it is.
    for (const entry of restarting) this.end(entry, "gracefulRestart");
    await Promise.all([...this.ending]);
    // Then AdminDown at once (RFC 5882 §3.2: the silence that follows is a planned stop, not a
    // failure), before the withdrawal's grace: the kubelet allows a speaker two seconds.
    await this.options.bfd?.stop();
    if (how === "handover") {
      // Only an established session has routes to withdraw; the others end now (and any that goes
      // down from here on ends at once too: see create()).
      for (const entry of others) if (!this.isEstablished(entry)) this.endIfCurrent(entry, "adminShutdown");
      const withdrawing = others.filter((entry) => this.sessions.get(entry.spec.peer) === entry);
      for (const entry of withdrawing) entry.session.setRoutes(NO_ROUTES);
      await Promise.all(withdrawing.map((entry) => entry.session.flushed()));
      if (withdrawing.length > 0) {
        await Promise.race([
          Bun.sleep(this.options.handoverGraceMs ?? HANDOVER_GRACE_MS),
          this.allEnded(withdrawing),
        ]);
      }
    }
    for (const entry of others) this.endIfCurrent(entry, "adminShutdown");
    await Promise.all([...this.ending]);
  }

  /** A BFD session's state changed (bfd/host.ts): Up to Down takes the BGP session down at once. */
  bfdChanged(peer: string, change: BfdStateChange): void {
    const entry = this.sessions.get(peer);
    const fields = {
      name: peer,
      ...(entry ? { peer: entry.session.label } : {}),
      from: change.from,
      to: change.to,
      diag: diagName(change.diag),
      ...(change.remoteDiag === undefined ? {} : { remoteDiag: diagName(change.remoteDiag) }),
    };
    if (change.from === "Up" && change.to === "Down") {
      this.options.log?.warn(fields, "BFD session down: resetting the BGP session");
      entry?.session.bfdDown();
    } else {
      this.options.log?.info(fields, "BFD session state changed");
    }
  }

  /** The sessions now, in peer-name order. */
  currentStatuses(): readonly BgpSessionStatus[] {
    return this.statuses.getValue();
  }

  private apply(): void {
    const wanted = new Map(this.desired.sessions.map((spec) => [spec.peer, spec]));
    for (const [peer, entry] of this.sessions) {
      const spec = wanted.get(peer);
      if (!spec) this.end(entry, "peerDeconfigured");
      else if (specKey(spec) !== entry.key) this.end(entry, "configChanged");
    }
    for (const spec of this.desired.sessions) {
      let entry = this.sessions.get(spec.peer);
      if (entry === undefined) {
        const previous = this.endingTo.get(peerLabel(spec));
        if (previous !== undefined) {
          void previous.then(() => {
            if (!this.stopped) this.apply();
          });
          continue;
        }
        entry = this.create(spec);
      }
      entry.session.setRoutes(this.desired.routes.get(spec.peer) ?? NO_ROUTES);
    }
    this.applyBfd();
    this.publish();
  }

  /** Only a changed set goes to the BFD Worker: each message wakes its thread. */
  private applyBfd(): void {
    const bfd = this.options.bfd;
    if (bfd === undefined) return;
    const peers = bfdPeersOf(this.desired.sessions);
    const key = JSON.stringify(peers);
    if (key === this.bfdKey) return;
    this.bfdKey = key;
    bfd.setDesired(peers);
  }

  private create(spec: BgpSessionSpec): Entry {
    const factory = this.options.sessionFactory ?? ((s, o) => new BgpSession(s, o));
    const entry: Entry = {
      spec,
      key: specKey(spec),
      session: factory(spec, {
        ...this.options.sessionOptions,
        nodeName: this.options.nodeName,
        log: this.options.log,
        metrics: this.options.metrics,
        onStatus: () => {
          if (this.sessions.get(spec.peer) !== entry) return;
          // A stopping speaker dials nobody again: a session that goes down during the handover
          // (FRR 8.4 resets it when our BFD AdminDown arrives) ends instead of reconnecting.
          if (this.stopped && !this.isEstablished(entry)) this.end(entry, "adminShutdown");
          else this.publish();
        },
      }),
    };
    this.sessions.set(spec.peer, entry);
    this.options.log?.info({ peer: entry.session.label, name: spec.peer }, "BGP session created");
    entry.session.start();
    return entry;
  }

  private isEstablished(entry: Entry): boolean {
    return entry.session.status().state === "established";
  }

  /** Resolves once none of these entries is current any more. */
  private allEnded(entries: readonly Entry[]): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (entries.some((entry) => this.sessions.get(entry.spec.peer) === entry)) return;
        this.endListeners.delete(check);
        resolve();
      };
      this.endListeners.add(check);
      check();
    });
  }

  /** Ends the entry unless it was ended already (or replaced). */
  private endIfCurrent(entry: Entry, cause: StopCause): void {
    if (this.sessions.get(entry.spec.peer) === entry) this.end(entry, cause);
  }

  private end(entry: Entry, cause: StopCause): void {
    this.sessions.delete(entry.spec.peer);
    for (const listener of [...this.endListeners]) listener();
    this.options.log?.info(
      { peer: entry.session.label, name: entry.spec.peer, reason: cause },
      "BGP session ended",
    );
    const address = peerLabel(entry.spec);
    const ending = entry.session.stop(cause).then(() => {
      // A restarted peer keeps its label (its replacement may still be waiting for this end); only
      // a label no session uses or will use any more loses its series.
      const reused =
        [...this.sessions.values()].some((e) => e.session.label === entry.session.label) ||
        (!this.stopped && this.desired.sessions.some((spec) => peerLabel(spec) === address));
      if (!reused) this.options.metrics?.sessionRemoved(entry.session.label);
      this.ending.delete(ending);
      if (this.endingTo.get(address) === ending) this.endingTo.delete(address);
    });
    this.ending.add(ending);
    this.endingTo.set(address, ending);
    this.publish();
  }

  private publish(): void {
    const statuses = [...this.sessions.values()]
      .map((entry) => entry.session.status())
      .sort((a, b) => (a.peer < b.peer ? -1 : a.peer > b.peer ? 1 : 0));
    const last = this.statuses.getValue();
    const same =
      last.length === statuses.length &&
      last.every(
        (s, i) =>
          s.peer === statuses[i]!.peer &&
          s.state === statuses[i]!.state &&
          s.lastError === statuses[i]!.lastError,
      );
    if (!same) this.statuses.next(statuses);
  }
}
