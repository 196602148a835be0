/**
 * The BGP finite state machine of one session (RFC 4271 §8), as a pure transition function:
 * `fsmTransition(state, event, jitter) -> { state, effects, reason }`. The shell (session.ts) turns
 * effects into I/O and timers and feeds back what happens as events.
 *
 * metalbun only dials (no listener, as MetalLB's native speaker and Cilium), so two connections to
 * one peer never exist and connection collisions (RFC 4271 §6.8) cannot occur. An OPEN arriving in
 * OpenConfirm or Established is therefore an FSM error (RFC 6608: 5/2, 5/3), never a collision.
 *
 *            start                    tcpConnected
 *   Idle ------------> Connect ---------------------> OpenSent ----openReceived (ok)----+
 *    ^ ^                 |  ^                        (hold 240 s)   send KEEPALIVE      |
 *    | |    tcpFailed /  |  | connectRetry                                              v
 *    | |    dial timeout v  | TimerExpired                                         OpenConfirm
 *    | |               Active                                                           |
 *    | |  (connectRetry timer armed: backoff)                           keepaliveReceived
 *    | |                                                                                v
 *    | +---- connectRetryTimerExpired (Idle after an error: straight to Connect) --- Established
 *    |
 *    +--- any error in OpenSent / OpenConfirm / Established: NOTIFICATION (unless the peer sent
 *         one or the TCP connection is gone), close, arm the connect-retry timer (backoff);
 *         stop: Cease (6/2, 6/3 or 6/6), close, no retry.
 *
 * Established only after OPEN sent + OPEN received + KEEPALIVE sent + KEEPALIVE received (§8.2.2).
 * The hold timer is enforced on receive in every state after the OPEN went out: 240 s in OpenSent
 * (§8.2.2 "large value"), then the negotiated one; its expiry sends 4/0.
 */
import type { BgpSessionState } from "../../domain/bgp/types.ts";
import type {
  BgpError,
  Family,
  NotificationMessage,
  OpenMessage,
  RouteRefreshMessage,
} from "./codec/types.ts";
import { AFI_IPV4, AFI_IPV6, SAFI_UNICAST } from "./codec/types.ts";
import { type LocalOpenPolicy, type Negotiated, negotiate } from "./negotiate.ts";

/** RFC 4271 §8.2.2: the hold timer in OpenSent is "large"; 4 minutes suggested. */
export const OPEN_SENT_HOLD_S = 240;
/** The first retry after a failure; it doubles per consecutive failure up to connectTimeS. */
export const FIRST_RETRY_MS = 1000;

export interface FsmConfig extends LocalOpenPolicy {
  /** Upper bound of the reconnect backoff, seconds (BGPPeer connectTime). */
  readonly connectTimeS: number;
  /** How long a dial may take before it counts as failed (MetalLB: 10 s). */
  readonly dialTimeoutS: number;
  /** The hold timer while waiting for the peer's OPEN; default OPEN_SENT_HOLD_S. */
  readonly openSentHoldS?: number;
}

export type FsmTimer = "connectRetry" | "dial" | "hold" | "keepalive";

/**
 * Why the session stops: each maps to a Cease subcode (RFC 4486), except a planned restart with
 * graceful restart negotiated, which closes the connection without a NOTIFICATION: a helper then
 * keeps our routes as stale until we are back (RFC 4724 §4.2; any NOTIFICATION would flush them
 * when the N bit of RFC 8538 was not exchanged, and we do not send it).
 */
export type StopCause = "adminShutdown" | "peerDeconfigured" | "configChanged" | "gracefulRestart";

export const CEASE_SUBCODE: Record<StopCause, number | undefined> = {
  adminShutdown: 2,
  peerDeconfigured: 3,
  configChanged: 6,
  gracefulRestart: undefined,
};

export type FsmEvent =
  | { readonly type: "start" }
  | { readonly type: "stop"; readonly cause: StopCause }
  /** The TCP connection is up; routerID is the BGP Identifier our OPEN carries. */
  | { readonly type: "tcpConnected"; readonly routerID: string }
  | { readonly type: "tcpFailed"; readonly detail: string }
  | { readonly type: "tcpClosed" }
  | { readonly type: "openReceived"; readonly open: OpenMessage }
  | { readonly type: "keepaliveReceived" }
  | { readonly type: "updateReceived"; readonly prefixes: number }
  | { readonly type: "routeRefreshReceived"; readonly request: RouteRefreshMessage }
  | { readonly type: "notificationReceived"; readonly notification: NotificationMessage }
  | { readonly type: "decodeError"; readonly error: BgpError }
  | { readonly type: "holdTimerExpired" }
  /** The peer's BFD session went Down: its path is gone, whatever TCP still believes. */
  | { readonly type: "bfdDown" }
  | { readonly type: "keepaliveTimerDue" }
  | { readonly type: "dialTimerExpired" }
  | { readonly type: "connectRetryTimerExpired" };

export type FsmEffect =
  | { readonly type: "connect" }
  /** afterPeer: a quiet close (no NOTIFICATION) that waits for the peer's FIN (transport.ts). */
  | { readonly type: "close"; readonly afterPeer?: true }
  | { readonly type: "sendOpen"; readonly routerID: string }
  | { readonly type: "sendKeepalive" }
  | {
      readonly type: "sendNotification";
      readonly code: number;
      readonly subcode: number;
      readonly data: Uint8Array;
    }
  | { readonly type: "armTimer"; readonly timer: FsmTimer; readonly ms: number }
  | { readonly type: "cancelTimer"; readonly timer: FsmTimer }
  /** Send the whole Adj-RIB-Out, then End-of-RIB per negotiated family. */
  | { readonly type: "sessionEstablished"; readonly negotiated: Negotiated }
  /** The peer no longer holds what we sent: forget it (the next Established resends all). */
  | { readonly type: "sessionDown" }
  /** ROUTE-REFRESH: resend this family's Adj-RIB-Out. */
  | { readonly type: "resendFamily"; readonly family: Family }
  /** Prefixes the peer sent: accepted, counted, ignored (originate only). */
  | { readonly type: "routesReceived"; readonly prefixes: number }
  | { readonly type: "reportState"; readonly state: BgpSessionState };

/** What a transition did and why; the same words in logs, status and tests. */
export type FsmReason =
  | "started"
  | "stopped"
  | "tcpConnected"
  | "tcpFailed"
  | "dialTimeout"
  | "tcpClosed"
  | "openAccepted"
  | "openRejected"
  | "established"
  | "keepaliveReceived"
  | "keepaliveSent"
  | "updateReceived"
  | "routeRefreshReceived"
  | "peerNotification"
  | "decodeError"
  | "unexpectedMessage"
  | "holdTimerExpired"
  | "bfdDown"
  | "retrying"
  | "ignored";

export interface FsmState {
  readonly name: BgpSessionState;
  /** Started and not stopped: failures lead to a retry. */
  readonly running: boolean;
  /** Consecutive failed attempts since the last Established, for the backoff. */
  readonly failures: number;
  /** Our BGP Identifier for this connection (from tcpConnected). */
  readonly routerID: string | undefined;
  readonly negotiated: Negotiated | undefined;
  /** Why the session last left Established or failed to reach it. */
  readonly lastError: string | undefined;
}

export interface FsmResult {
  readonly state: FsmState;
  readonly effects: readonly FsmEffect[];
  readonly reason: FsmReason;
}

export function initialFsmState(): FsmState {
  return {
    name: "idle",
    running: false,
    failures: 0,
    routerID: undefined,
    negotiated: undefined,
    lastError: undefined,
  };
}

/**
 * The wait before retry number `failures` (1 = first): 1 s doubling, capped by connectTimeS, then
 * scaled into [75 %, 100 %) by jitter (a uniform sample in [0, 1) the shell draws) so that peers
 * restarted together do not redial in lockstep.
 */
export function retryDelayMs(failures: number, connectTimeS: number, jitter: number): number {
  const capMs = Math.max(1, connectTimeS) * 1000;
  const exponent = Math.min(Math.max(0, failures - 1), 30);
  const base = Math.min(capMs, FIRST_RETRY_MS * 2 ** exponent);
  const sample = Math.min(Math.max(jitter, 0), 1);
  return Math.round(base * (0.75 + 0.25 * sample));
}

function familyOf(request: RouteRefreshMessage): Family | undefined {
  if (request.safi !== SAFI_UNICAST) return undefined;
  if (request.afi === AFI_IPV4) return "ipv4-unicast";
  if (request.afi === AFI_IPV6) return "ipv6-unicast";
  return undefined;
}

const ALL_TIMERS: readonly FsmTimer[] = ["connectRetry", "dial", "hold", "keepalive"];
const cancelAll: FsmEffect[] = ALL_TIMERS.map((timer) => ({ type: "cancelTimer", timer }));

function report(state: BgpSessionState): FsmEffect {
  return { type: "reportState", state };
}

function notification(code: number, subcode: number, data: Uint8Array = new Uint8Array(0)): FsmEffect {
  return { type: "sendNotification", code, subcode, data };
}

function holdArm(seconds: number): FsmEffect[] {
  return seconds > 0 ? [{ type: "armTimer", timer: "hold", ms: seconds * 1000 }] : [];
}

/**
 * The connection is over: close it, forget what the peer holds, back off and retry (when running).
 * `send` is the NOTIFICATION to send first, if any.
 */
function fail(
  state: FsmState,
  config: FsmConfig,
  jitter: number,
  reason: FsmReason,
  lastError: string,
  send: FsmEffect | undefined,
): FsmResult {
  const connected = state.name === "openSent" || state.name === "openConfirm" || state.name === "established";
  const failures = state.failures + 1;
  const next: FsmState = {
    ...state,
    // A TCP failure waits in Active; an error on an open connection returns to Idle (§8.2.2).
    name: state.running && !connected ? "active" : "idle",
    failures,
    negotiated: undefined,
    lastError,
  };
  const effects: FsmEffect[] = [...(send ? [send] : []), { type: "close" }, ...cancelAll];
  if (state.name === "established") effects.push({ type: "sessionDown" });
  if (state.running) {
    effects.push({
      type: "armTimer",
      timer: "connectRetry",
      ms: retryDelayMs(failures, config.connectTimeS, jitter),
    });
  }
  effects.push(report(next.name));
  return { state: next, effects, reason };
}

/** RFC 6608: the FSM error subcode for an unexpected message in each state. */
function unexpected(state: FsmState, config: FsmConfig, jitter: number, what: string): FsmResult {
  const subcode = state.name === "openSent" ? 1 : state.name === "openConfirm" ? 2 : 3;
  return fail(
    state,
    config,
    jitter,
    "unexpectedMessage",
    `unexpected ${what} in ${state.name}`,
    notification(5, subcode),
  );
}

const isOpenConnection = (name: BgpSessionState) =>
  name === "openSent" || name === "openConfirm" || name === "established";

function ignored(state: FsmState): FsmResult {
  return { state, effects: [], reason: "ignored" };
}

function dial(state: FsmState, config: FsmConfig, reason: FsmReason): FsmResult {
  const next: FsmState = {
    ...state,
    name: "connect",
    running: true,
    routerID: undefined,
    negotiated: undefined,
  };
  return {
    state: next,
    effects: [
      { type: "cancelTimer", timer: "connectRetry" },
      { type: "connect" },
      { type: "armTimer", timer: "dial", ms: config.dialTimeoutS * 1000 },
      report("connect"),
    ],
    reason,
  };
}

function stop(state: FsmState, cause: StopCause): FsmResult {
  const next: FsmState = { ...state, name: "idle", running: false, negotiated: undefined, failures: 0 };
  const effects: FsmEffect[] = [];
  const subcode = CEASE_SUBCODE[cause];
  if (isOpenConnection(state.name) && subcode !== undefined) effects.push(notification(6, subcode));
  if (state.name !== "idle" && state.name !== "active")
    effects.push(subcode === undefined ? { type: "close", afterPeer: true } : { type: "close" });
  effects.push(...cancelAll);
  if (state.name === "established") effects.push({ type: "sessionDown" });
  effects.push(report("idle"));
  return { state: next, effects, reason: "stopped" };
}

function openReceived(state: FsmState, config: FsmConfig, jitter: number, open: OpenMessage): FsmResult {
  if (state.name !== "openSent") return unexpected(state, config, jitter, "OPEN");
  const result = negotiate(config, state.routerID ?? "0.0.0.0", open);
  if (!result.ok) {
    const { error } = result;
    return fail(
      state,
      config,
      jitter,
      "openRejected",
      error.reason,
      notification(error.code, error.subcode, error.data),
    );
  }
  const negotiated = result.value;
  const next: FsmState = { ...state, name: "openConfirm", negotiated };
  const effects: FsmEffect[] = [
    { type: "sendKeepalive" },
    { type: "cancelTimer", timer: "hold" },
    ...holdArm(negotiated.holdTimeS),
  ];
  if (negotiated.keepaliveTimeS > 0) {
    effects.push({ type: "armTimer", timer: "keepalive", ms: negotiated.keepaliveTimeS * 1000 });
  }
  effects.push(report("openConfirm"));
  return { state: next, effects, reason: "openAccepted" };
}

function keepaliveReceived(state: FsmState, config: FsmConfig, jitter: number): FsmResult {
  const negotiated = state.negotiated;
  if (state.name === "openConfirm" && negotiated) {
    const next: FsmState = { ...state, name: "established", failures: 0, lastError: state.lastError };
    return {
      state: next,
      effects: [
        ...holdArm(negotiated.holdTimeS),
        { type: "sessionEstablished", negotiated },
        report("established"),
      ],
      reason: "established",
    };
  }
  if (state.name === "established" && negotiated) {
    return { state, effects: holdArm(negotiated.holdTimeS), reason: "keepaliveReceived" };
  }
  if (state.name === "openSent") return unexpected(state, config, jitter, "KEEPALIVE");
  return ignored(state);
}

/**
 * The next state of one session. `jitter` is a uniform sample in [0, 1) the shell draws per call;
 * it only scales the connect-retry wait when this transition arms it. Total: every (state, event)
 * pair has an answer, and events that cannot apply (a timer the shell failed to cancel, a message
 * after close) are ignored.
 */
export function fsmTransition(
  state: FsmState,
  event: FsmEvent,
  config: FsmConfig,
  jitter: number,
): FsmResult {
  switch (event.type) {
    case "start":
      return state.name === "idle"
        ? dial({ ...state, failures: 0, lastError: undefined }, config, "started")
        : ignored(state);
    case "stop":
      return state.running || state.name !== "idle" ? stop(state, event.cause) : ignored(state);
    case "connectRetryTimerExpired":
      return state.running && (state.name === "idle" || state.name === "active")
        ? dial(state, config, "retrying")
        : ignored(state);
    case "tcpConnected": {
      if (state.name !== "connect") return ignored(state);
      const next: FsmState = { ...state, name: "openSent", routerID: event.routerID };
      return {
        state: next,
        effects: [
          { type: "cancelTimer", timer: "dial" },
          { type: "sendOpen", routerID: event.routerID },
          { type: "armTimer", timer: "hold", ms: (config.openSentHoldS ?? OPEN_SENT_HOLD_S) * 1000 },
          report("openSent"),
        ],
        reason: "tcpConnected",
      };
    }
    case "tcpFailed":
      return state.name === "connect"
        ? fail(state, config, jitter, "tcpFailed", "tcpFailed", undefined)
        : isOpenConnection(state.name)
          ? fail(state, config, jitter, "tcpClosed", "tcpClosed", undefined)
          : ignored(state);
    case "dialTimerExpired":
      return state.name === "connect"
        ? fail(state, config, jitter, "dialTimeout", "dialTimeout", undefined)
        : ignored(state);
    case "tcpClosed":
      return state.name === "connect" || isOpenConnection(state.name)
        ? fail(state, config, jitter, "tcpClosed", "tcpClosed", undefined)
        : ignored(state);
    case "openReceived":
      return isOpenConnection(state.name) ? openReceived(state, config, jitter, event.open) : ignored(state);
    case "keepaliveReceived":
      return keepaliveReceived(state, config, jitter);
    case "updateReceived":
      if (state.name === "established" && state.negotiated) {
        return {
          state,
          effects: [
            ...holdArm(state.negotiated.holdTimeS),
            { type: "routesReceived", prefixes: event.prefixes },
          ],
          reason: "updateReceived",
        };
      }
      return isOpenConnection(state.name) ? unexpected(state, config, jitter, "UPDATE") : ignored(state);
    case "routeRefreshReceived": {
      if (state.name !== "established" || !state.negotiated) {
        return isOpenConnection(state.name)
          ? unexpected(state, config, jitter, "ROUTE-REFRESH")
          : ignored(state);
      }
      const family = familyOf(event.request);
      const effects: FsmEffect[] = holdArm(state.negotiated.holdTimeS);
      // RFC 2918 §4: a request for a family not negotiated is ignored; subtypes 1-2 (RFC 7313
      // BoRR/EoRR) are the peer's own markers and ask nothing of us.
      if (family && event.request.subtype === 0 && state.negotiated.codec.families.includes(family)) {
        effects.push({ type: "resendFamily", family });
      }
      return { state, effects, reason: "routeRefreshReceived" };
    }
    case "notificationReceived": {
      if (!isOpenConnection(state.name)) return ignored(state);
      const { code, subcode } = event.notification;
      return fail(
        state,
        config,
        jitter,
        "peerNotification",
        `peerNotification ${code}/${subcode}`,
        undefined,
      );
    }
    case "decodeError":
      if (!isOpenConnection(state.name)) return ignored(state);
      return fail(
        state,
        config,
        jitter,
        "decodeError",
        event.error.reason,
        notification(event.error.code, event.error.subcode, event.error.data),
      );
    case "holdTimerExpired":
      return isOpenConnection(state.name)
        ? fail(state, config, jitter, "holdTimerExpired", "holdTimerExpired", notification(4, 0))
        : ignored(state);
    case "bfdDown":
      // Cease 6/10 "BFD Down" (RFC 9384), then a new connection after the backoff as after any
      // failure; BFD coming back Up is not awaited (FRR does not either).
      return isOpenConnection(state.name)
        ? fail(state, config, jitter, "bfdDown", "bfdDown", notification(6, 10))
        : ignored(state);
    case "keepaliveTimerDue": {
      const negotiated = state.negotiated;
      if ((state.name !== "openConfirm" && state.name !== "established") || !negotiated)
        return ignored(state);
      if (negotiated.keepaliveTimeS === 0) return ignored(state);
      return {
        state,
        effects: [
          { type: "sendKeepalive" },
          { type: "armTimer", timer: "keepalive", ms: negotiated.keepaliveTimeS * 1000 },
        ],
        reason: "keepaliveSent",
      };
    }
  }
}
