/**
 * One BGP session over TCP (the shell around fsm.ts): dials the peer, turns FSM effects into bytes,
 * timers and reports, feeds what the peer sends back to the FSM, and keeps the session's
 * Adj-RIB-Out (rib-out.ts) so that the peer only ever receives the difference.
 *
 * Originate only (docs/bgp.md): routes the peer sends are decoded, counted and
 * ignored, as fast as they come, so that a full TCP window never makes the peer's hold timer fire.
 * Nothing is ever sent for a family the OPENs did not both list (RFC 4760; GoBGP resets on it).
 * After every (re)establishment the whole table goes out, then End-of-RIB per family (RFC 4724 §2).
 */
import type { BgpRoute, BgpSessionSpec, BgpSessionState, BgpSessionStatus } from "../../domain/bgp/types.ts";
import { type Clock, realClock, type TimerHandle } from "../../membership/clock.ts";
import type {
  Family,
  GracefulRestartCapability,
  OriginatedAttributes,
  SessionCodecContext,
} from "./codec/types.ts";
import {
  type FsmConfig,
  type FsmEffect,
  type FsmEvent,
  type FsmReason,
  type FsmState,
  type FsmTimer,
  fsmTransition,
  initialFsmState,
  type StopCause,
} from "./fsm.ts";
import { type InterfaceTable, type NextHops, nextHopsFor, routerIDFor } from "./local-addresses.ts";
import type { Negotiated } from "./negotiate.ts";
import { AdjRibOut, type RibChanges } from "./rib-out.ts";
import { type BgpConnection, type Dialer, dialBgp } from "./transport.ts";
import { type BgpWire, bgpWire, type InboundDecoder } from "./wire.ts";

/** MetalLB's dial timeout. */
export const DIAL_TIMEOUT_S = 10;
/** How long a NOTIFICATION may take to leave before the connection closes anyway. */
export const NOTIFICATION_GRACE_MS = 1000;
/**
 * How long a quiet close waits for the peer's FIN: it comes once the peer's BGP daemon read ours
 * and took the session down (keeping our routes as stale, RFC 4724 §4.2). Bounded well inside the
 * kubelet's grace for a stopping speaker.
 */
export const PEER_CLOSE_WAIT_MS = 500;
/**
 * LOCAL_PREF toward internal peers when no advertisement sets one. RFC 4271 §5.1.5 makes it
 * mandatory on iBGP and RFC 7606 §3(d) has a receiver treat an UPDATE without it as a withdrawal,
 * so it is always sent; 100 is what MetalLB's FRR mode sends (FRR's default local preference).
 */
export const DEFAULT_IBGP_LOCAL_PREF = 100;

export type MessageKind = "open" | "update" | "notification" | "keepalive" | "routeRefresh";

/** Callbacks the speaker wires to prom-client (MetalLB's names; label peer="<ip>:<port>"). */
export interface BgpSessionMetrics {
  /** metallb_bgp_session_up. */
  sessionUp(peer: string, up: boolean): void;
  /** metallb_bgp_updates_total (UPDATEs sent, withdrawals and End-of-RIB included). */
  updateSent(peer: string): void;
  /** metallb_bgp_announced_prefixes_total and metallb_bgp_pending_prefixes_total (gauges). */
  prefixes(peer: string, announced: number, pending: number): void;
  /** OPEN, NOTIFICATION, KEEPALIVE, ROUTE-REFRESH counters (FRR mode's). */
  messageSent(peer: string, kind: MessageKind): void;
  messageReceived(peer: string, kind: MessageKind): void;
}

type LogFn = (fields: Record<string, unknown>, msg: string) => void;
/** The subset of pino's Logger used here. */
export interface BgpLog {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}

export interface SessionCounters {
  readonly sent: Readonly<Record<MessageKind, number>>;
  readonly received: Readonly<Record<MessageKind, number>>;
  /** Prefixes the peer sent us (accepted, counted, ignored). */
  readonly prefixesReceived: number;
  readonly announced: number;
  readonly pending: number;
}

export interface BgpSessionOptions {
  /** For the BGP Identifier's last resort (CRC-32 of the node name, as MetalLB). */
  readonly nodeName: string;
  readonly clock?: Clock;
  /** Uniform in [0, 1) for the retry jitter. Default Math.random. */
  readonly random?: () => number;
  readonly dial?: Dialer;
  /** Default os.networkInterfaces(). */
  readonly interfaces?: () => InterfaceTable;
  readonly dialTimeoutS?: number;
  /** The hold timer while waiting for the peer's OPEN (default 240 s, RFC 4271 §8.2.2). */
  readonly openSentHoldS?: number;
  readonly wire?: BgpWire;
  readonly log?: BgpLog;
  readonly metrics?: BgpSessionMetrics;
  /** Every state change (and lastError change). */
  readonly onStatus?: (status: BgpSessionStatus) => void;
}

function zeroCounts(): Record<MessageKind, number> {
  return { open: 0, update: 0, notification: 0, keepalive: 0, routeRefresh: 0 };
}

function osInterfaces(): InterfaceTable {
  const os = require("node:os") as typeof import("node:os");
  return os.networkInterfaces() as InterfaceTable;
}

/** The families a session proposes: its own, plus the other with dualStackAddressFamily. */
export function familiesFor(spec: BgpSessionSpec): Family[] {
  const own: Family = spec.peerAddress.includes(":") ? "ipv6-unicast" : "ipv4-unicast";
  if (!spec.dualStackAddressFamily) return [own];
  return ["ipv4-unicast", "ipv6-unicast"];
}

export function fsmConfigFor(spec: BgpSessionSpec, dialTimeoutS: number): FsmConfig {
  return {
    myASN: spec.myASN,
    peerASN: spec.peerASN,
    dynamicASN: spec.dynamicASN,
    holdTimeS: spec.holdTimeS,
    keepaliveTimeS: spec.keepaliveTimeS,
    families: familiesFor(spec),
    gracefulRestart: spec.gracefulRestart,
    connectTimeS: spec.connectTimeS,
    dialTimeoutS,
  };
}

/** How long a helper keeps our routes as stale after a quiet close (FRR's and MetalLB's 120 s). */
export const GRACEFUL_RESTART_TIME_S = 120;

/**
 * Our capability 64: every family with Forwarding State preserved (kube-proxy and the kernel keep
 * forwarding while the speaker restarts), and the Restart State bit on sessions that come up
 * within the restart time of this process's start, i.e. after our own restart (RFC 4724 §3).
 */
export function gracefulRestartCapability(
  families: readonly Family[],
  uptimeS: number,
): GracefulRestartCapability {
  return {
    restarting: uptimeS < GRACEFUL_RESTART_TIME_S,
    notification: false,
    restartTimeS: GRACEFUL_RESTART_TIME_S,
    families: families.map((family) => ({ family, forwardingPreserved: true })),
  };
}

/** `<ip>:<port>` (MetalLB's metric label; IPv6 unbracketed, as Go's fmt of the peer). */
export function peerLabel(spec: BgpSessionSpec): string {
  return `${spec.peerAddress}:${spec.peerPort}`;
}

export class BgpSession {
  readonly label: string;
  private fsm: FsmState = initialFsmState();
  private readonly config: FsmConfig;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly dial: Dialer;
  private readonly interfaces: () => InterfaceTable;
  private readonly wire: BgpWire;
  private readonly timers = new Map<FsmTimer, TimerHandle>();
  private readonly rib = new AdjRibOut();
  private readonly queue: FsmEvent[] = [];
  private running = false;
  /** Bumped per dial: callbacks of an older connection are ignored. */
  private generation = 0;
  private abortDial: (() => void) | undefined;
  private connection: BgpConnection | undefined;
  /** A quiet close under way (closeConnection with afterPeer): stop() waits for it. */
  private closingAfterPeer: Promise<void> | undefined;
  private decoder: InboundDecoder | undefined;
  private negotiated: Negotiated | undefined;
  private nextHops: NextHops = { ipv4: undefined, ipv6: undefined };
  private readonly sent = zeroCounts();
  private readonly received = zeroCounts();
  private prefixesReceived = 0;
  private lastReported: BgpSessionStatus | undefined;

  constructor(
    readonly spec: BgpSessionSpec,
    private readonly options: BgpSessionOptions,
  ) {
    this.label = peerLabel(spec);
    this.config = {
      ...fsmConfigFor(spec, options.dialTimeoutS ?? DIAL_TIMEOUT_S),
      openSentHoldS: options.openSentHoldS,
    };
    this.clock = options.clock ?? realClock;
    this.random = options.random ?? Math.random;
    this.dial = options.dial ?? dialBgp;
    this.interfaces = options.interfaces ?? osInterfaces;
    this.wire = options.wire ?? bgpWire;
  }

  get state(): BgpSessionState {
    return this.fsm.name;
  }

  status(): BgpSessionStatus {
    const status: BgpSessionStatus = {
      peer: this.spec.peer,
      state: this.fsm.name,
      lastError: this.fsm.lastError,
    };
    return this.fsm.name === "established" && this.negotiated?.gracefulRestart
      ? { ...status, gracefulRestart: true }
      : status;
  }

  /** The families both OPENs listed, while a session is negotiated. */
  get families(): readonly Family[] {
    return this.negotiated?.codec.families ?? [];
  }

  counters(): SessionCounters {
    return {
      sent: { ...this.sent },
      received: { ...this.received },
      prefixesReceived: this.prefixesReceived,
      announced: this.rib.announcedCount(),
      pending: this.rib.pendingCount(this.negotiated?.codec.families ?? this.config.families),
    };
  }

  start(): void {
    this.dispatch({ type: "start" });
  }

  /** The whole desired set; when Established, only the difference goes out at once. */
  setRoutes(routes: readonly BgpRoute[]): void {
    this.rib.setDesired(routes);
    if (this.fsm.name === "established") this.sendChanges(this.rib.takeChanges(this.families));
    this.reportPrefixes();
  }

  /** setRoutes by difference: the routes new or changed, and the prefixes no longer wanted. */
  updateRoutes(upsert: readonly BgpRoute[], remove: readonly string[]): void {
    this.rib.update(upsert, remove);
    if (this.fsm.name === "established") this.sendChanges(this.rib.takeChanges(this.families));
    this.reportPrefixes();
  }

  /** Resolves when every byte queued so far was taken by the kernel (or there is no connection). */
  flushed(): Promise<void> {
    return this.connection?.drained() ?? Promise.resolve();
  }

  /** The peer's BFD session went Down: Cease 6/10 and a new connection after the backoff. */
  bfdDown(): void {
    this.dispatch({ type: "bfdDown" });
  }

  /**
   * Cease with the cause's subcode, close, no retry; resolves once the NOTIFICATION left (bounded).
   * A graceful-restart stop sends none and resolves once the peer closed its side (bounded).
   */
  async stop(cause: StopCause): Promise<void> {
    const connection = this.connection;
    this.dispatch({ type: "stop", cause });
    if (this.closingAfterPeer) {
      await this.closingAfterPeer;
      return;
    }
    // The Cease was queued by the transition; the connection closes once it left.
    await Promise.race([connection?.drained() ?? Promise.resolve(), Bun.sleep(NOTIFICATION_GRACE_MS)]);
  }

  /** Runs events one at a time: effects may raise events (a write that fails closes the socket). */
  private dispatch(event: FsmEvent): void {
    this.queue.push(event);
    if (this.running) return;
    this.running = true;
    try {
      for (let next = this.queue.shift(); next; next = this.queue.shift()) {
        const result = fsmTransition(this.fsm, next, this.config, this.random());
        const before = this.fsm;
        this.fsm = result.state;
        this.logTransition(next, before, result.reason);
        for (const effect of result.effects) this.apply(effect);
      }
    } finally {
      this.running = false;
    }
  }

  private logTransition(event: FsmEvent, before: FsmState, reason: FsmReason): void {
    const log = this.options.log;
    if (!log || before.name === this.fsm.name) return;
    const fields = { peer: this.label, event: event.type, reason, from: before.name, to: this.fsm.name };
    if (this.fsm.name === "established") log.info(fields, "BGP session established");
    else if (before.name === "established")
      log.warn({ ...fields, error: this.fsm.lastError }, "BGP session down");
    else log.debug({ ...fields, error: this.fsm.lastError }, "BGP session state");
  }

  private apply(effect: FsmEffect): void {
    switch (effect.type) {
      case "connect":
        this.connect();
        return;
      case "close":
        this.closeConnection(effect.afterPeer);
        return;
      case "sendOpen":
        this.sendOpen(effect.routerID);
        return;
      case "sendKeepalive":
        this.send("keepalive", this.wire.keepalive());
        return;
      case "sendNotification":
        this.options.log?.warn(
          { peer: this.label, code: effect.code, subcode: effect.subcode },
          "sending NOTIFICATION",
        );
        this.send("notification", this.wire.notification(effect.code, effect.subcode, effect.data));
        return;
      case "armTimer":
        this.arm(effect.timer, effect.ms);
        return;
      case "cancelTimer":
        this.timers.get(effect.timer)?.cancel();
        this.timers.delete(effect.timer);
        return;
      case "sessionEstablished":
        this.established(effect.negotiated);
        return;
      case "sessionDown":
        this.rib.reset();
        this.negotiated = undefined;
        this.reportPrefixes();
        return;
      case "resendFamily":
        this.sendChanges(this.rib.fullTable(effect.family));
        this.reportPrefixes();
        return;
      case "routesReceived":
        this.prefixesReceived += effect.prefixes;
        return;
      case "reportState":
        this.reportState();
        return;
    }
  }

  private arm(timer: FsmTimer, ms: number): void {
    this.timers.get(timer)?.cancel();
    const event: FsmEvent =
      timer === "hold"
        ? { type: "holdTimerExpired" }
        : timer === "keepalive"
          ? { type: "keepaliveTimerDue" }
          : timer === "dial"
            ? { type: "dialTimerExpired" }
            : { type: "connectRetryTimerExpired" };
    this.timers.set(
      timer,
      this.clock.setTimer(ms, () => {
        this.timers.delete(timer);
        this.dispatch(event);
      }),
    );
  }

  private connect(): void {
    const generation = ++this.generation;
    this.decoder = this.wire.decoder();
    const attempt = this.dial(this.spec, {
      data: (chunk) => {
        if (generation === this.generation) this.receive(chunk);
      },
      closed: (detail) => {
        if (generation !== this.generation) return;
        this.connection = undefined;
        this.options.log?.debug({ peer: this.label, error: detail }, "BGP connection closed");
        this.dispatch({ type: "tcpClosed" });
      },
    });
    this.abortDial = attempt.abort;
    void attempt.result.then((result) => {
      if (generation !== this.generation) {
        if (typeof result !== "string") result.close(0);
        return;
      }
      this.abortDial = undefined;
      if (typeof result === "string") {
        this.options.log?.debug({ peer: this.label, error: result }, "BGP dial failed");
        this.dispatch({ type: "tcpFailed", detail: result });
        return;
      }
      this.connection = result;
      const table = this.interfaces();
      const local = this.spec.sourceAddress ?? result.localAddress;
      this.nextHops = nextHopsFor(local, this.spec.peerAddress, table);
      const routerID = routerIDFor(this.spec.routerID, local, table, this.options.nodeName);
      this.dispatch({ type: "tcpConnected", routerID });
    });
  }

  private closeConnection(afterPeer?: true): void {
    this.generation++;
    this.abortDial?.();
    this.abortDial = undefined;
    if (afterPeer && this.connection) this.closingAfterPeer = this.closeQuietly(this.connection);
    else this.connection?.close(NOTIFICATION_GRACE_MS);
    this.connection = undefined;
    this.decoder = undefined;
  }

  /** The quiet close of a graceful restart, logged with how the peer answered and when. */
  private async closeQuietly(connection: BgpConnection): Promise<void> {
    const started = performance.now();
    const outcome = await connection.closeAfterPeer(PEER_CLOSE_WAIT_MS);
    const fields = { peer: this.label, outcome, waitedMs: Math.round(performance.now() - started) };
    if (outcome === "peerClosed") this.options.log?.info(fields, "closed quietly for graceful restart");
    else
      this.options.log?.warn(fields, "closed quietly for graceful restart; the peer did not close its side");
  }

  private receive(chunk: Uint8Array): void {
    const decoder = this.decoder;
    if (!decoder) return;
    for (const message of decoder.push(chunk, this.negotiated?.codec)) {
      if (!message.ok) {
        this.dispatch({ type: "decodeError", error: message.error });
        return;
      }
      const value = message.value;
      switch (value.type) {
        case "open":
          this.countReceived("open");
          this.dispatch({ type: "openReceived", open: value });
          break;
        case "keepalive":
          this.countReceived("keepalive");
          this.dispatch({ type: "keepaliveReceived" });
          break;
        case "notification":
          this.countReceived("notification");
          this.options.log?.warn(
            { peer: this.label, code: value.code, subcode: value.subcode },
            "NOTIFICATION received",
          );
          this.dispatch({ type: "notificationReceived", notification: value });
          break;
        case "route-refresh":
          this.countReceived("routeRefresh");
          this.dispatch({ type: "routeRefreshReceived", request: value });
          break;
        case "update": {
          this.countReceived("update");
          if (value.treatAsWithdraw) {
            // RFC 7606 §2: treat-as-withdraw; we hold nothing of the peer's, so only log it.
            this.options.log?.debug(
              { peer: this.label, reason: value.treatAsWithdraw.reason, error: value.treatAsWithdraw.detail },
              "UPDATE treated as withdraw",
            );
          }
          const prefixes = value.nlri.length + (value.mpReach?.nlri.length ?? 0);
          this.dispatch({ type: "updateReceived", prefixes });
          break;
        }
      }
      // A transition may have closed this connection; the rest of the chunk is moot.
      if (this.decoder !== decoder) return;
    }
  }

  private countReceived(kind: MessageKind): void {
    this.received[kind]++;
    this.options.metrics?.messageReceived(this.label, kind);
  }

  private send(kind: MessageKind, bytes: Uint8Array | undefined): void {
    if (!bytes || !this.connection) return;
    this.connection.write(bytes);
    this.sent[kind]++;
    this.options.metrics?.messageSent(this.label, kind);
    if (kind === "update") this.options.metrics?.updateSent(this.label);
  }

  private sendOpen(routerID: string): void {
    const open = this.wire.open({
      myASN: this.spec.myASN,
      holdTimeS: this.spec.holdTimeS,
      routerID,
      families: this.config.families,
      ...(this.spec.gracefulRestart
        ? { gracefulRestart: gracefulRestartCapability(this.config.families, process.uptime()) }
        : {}),
    });
    if (typeof open === "string") {
      // Our own configuration cannot be encoded (validated upstream; kept total here).
      this.options.log?.error({ peer: this.label, error: open }, "cannot encode OPEN");
      this.dispatch({ type: "stop", cause: "configChanged" });
      return;
    }
    this.send("open", open);
  }

  private established(negotiated: Negotiated): void {
    this.negotiated = negotiated;
    this.rib.reset();
    this.sendChanges(this.rib.takeChanges(negotiated.codec.families));
    for (const family of negotiated.codec.families) this.send("update", this.wire.endOfRib(family));
    this.reportPrefixes();
  }

  private attributesFor(
    changes: RibChanges["announce"][number],
    ctx: Negotiated,
  ): OriginatedAttributes | undefined {
    const nextHops =
      changes.family === "ipv4-unicast"
        ? this.nextHops.ipv4 !== undefined
          ? [this.nextHops.ipv4]
          : undefined
        : this.nextHops.ipv6;
    if (!nextHops) return undefined;
    return {
      origin: "igp",
      asPath: ctx.internal ? [] : [this.spec.myASN],
      nextHops,
      localPref: ctx.internal ? (changes.attributes.localPref ?? DEFAULT_IBGP_LOCAL_PREF) : undefined,
      communities: changes.attributes.communities,
      largeCommunities: changes.attributes.largeCommunities,
    };
  }

  private sendChanges(changes: RibChanges): void {
    const negotiated = this.negotiated;
    if (!negotiated) return;
    const ctx: SessionCodecContext = negotiated.codec;
    for (const withdrawal of changes.withdraw) {
      if (!ctx.families.includes(withdrawal.family)) continue;
      for (const bytes of this.wire.withdrawals(ctx, withdrawal.family, withdrawal.prefixes))
        this.send("update", bytes);
    }
    for (const group of changes.announce) {
      if (!ctx.families.includes(group.family)) continue;
      const attributes = this.attributesFor(group, negotiated);
      if (!attributes) {
        this.options.log?.warn(
          { peer: this.label, family: group.family, prefixes: group.prefixes.length },
          "no next hop of this family on the session's interface; routes not announced",
        );
        continue;
      }
      const encoded = this.wire.updates(ctx, group.family, attributes, group.prefixes);
      if (typeof encoded === "string") {
        this.options.log?.error({ peer: this.label, error: encoded }, "cannot encode UPDATE");
        continue;
      }
      for (const bytes of encoded) this.send("update", bytes);
    }
  }

  private reportPrefixes(): void {
    const counters = this.counters();
    this.options.metrics?.prefixes(this.label, counters.announced, counters.pending);
  }

  private reportState(): void {
    const status = this.status();
    const last = this.lastReported;
    if (last && last.state === status.state && last.lastError === status.lastError) return;
    // The first report sets the gauge too: a peer that never answers shows session_up 0, not
    // nothing (MetalLB creates the series with the session).
    if (last === undefined || (last.state === "established") !== (status.state === "established")) {
      this.options.metrics?.sessionUp(this.label, status.state === "established");
    }
    this.lastReported = status;
    this.options.onStatus?.(status);
  }
}
