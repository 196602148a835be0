/**
 * The controller's reconciler: the whole cluster in, the whole desired outcome out. Pure, total and
 * deterministic (the clock comes in as `now`): config parsing with last-good fallback (MetalLB keeps
 * serving the last good configuration when a new one fails to parse), MetalLB's allocation, the
 * writes that bring each Service to its decision, the Events, the pool counters and the
 * ConfigurationState. Level-triggered: it never sees what changed, only what is.
 */
import type { Claims } from "../allocator/claim.ts";
import type { PoolCounters, ServiceDecision } from "../allocator/decision.ts";
import type { ConfigurationStateStatus } from "../api/configuration-state.ts";
import { type ConfigMemo, parseConfigMemo } from "../config/config-memo.ts";
import type { ConfigError } from "../config/errors.ts";
import type { Config } from "../config/types.ts";
import { configurationStateStatus } from "./configuration-state.ts";
import type { ExpectedAssignment } from "./expected.ts";
import type { ControllerInputs } from "./inputs.ts";
import type { EventIntent, PendingWrite } from "./intents.ts";
import { allocationStep, type BookRef } from "./service-book.ts";

export type { EventIntent, PendingWrite, ServiceRef } from "./intents.ts";

export interface ControllerState {
  /** The last configuration that parsed; undefined until one did. */
  readonly lastGoodConfig: Config | undefined;
  readonly expected: ReadonlyMap<string, ExpectedAssignment>;
  /** Fingerprint of the events last emitted per Service, so a lasting failure is reported once. */
  readonly lastEvents: ReadonlyMap<string, string>;
  /**
   * The claim (allocator/claim.ts) each sharing Service held its IPs under in the last plan: the
   * memory that lets an untouched Service keep a shared IP when the other holder is edited.
   * Part of the outcome, unlike the memo.
   */
  readonly claims?: Claims;
  readonly configurationState: ConfigurationStateStatus | undefined;
  /**
   * What makes the next reconcile cheap (the parsed config, the allocation book). Never changes
   * an outcome: a state without it reconciles to the same result, only slower.
   */
  readonly memo?: ReconcileMemo;
}

export interface ReconcileMemo {
  readonly config: ConfigMemo;
  readonly book: BookRef | undefined;
}

export const initialControllerState: ControllerState = {
  lastGoodConfig: undefined,
  expected: new Map(),
  lastEvents: new Map(),
  configurationState: undefined,
};

export interface ControllerOutcome {
  readonly state: ControllerState;
  /** Every Service whose observed status/annotation differs from its decision: the whole set, every time. */
  readonly writes: ReadonlyMap<string, PendingWrite>;
  /** Events to emit now (already de-duplicated against the previous run). */
  readonly events: readonly EventIntent[];
  readonly decisions: readonly ServiceDecision[];
  /** Counters per pool of the configuration in use. */
  readonly pools: ReadonlyMap<string, PoolCounters>;
  readonly configErrors: readonly ConfigError[];
  /** Serving an older configuration because the latest one is invalid (metallb_k8s_client_config_stale_bool). */
  readonly configStale: boolean;
  /** A configuration has been loaded at least once (metallb_k8s_client_config_loaded_bool). */
  readonly configLoaded: boolean;
  readonly configurationState: ConfigurationStateStatus;
}

export interface ReconcileOptions {
  readonly loadBalancerClass: string;
  /** RFC 3339, for condition transition times. */
  readonly now: string;
}

export function reconcileController(
  inputs: ControllerInputs,
  state: ControllerState,
  options: ReconcileOptions,
): ControllerOutcome {
  const configMemo = parseConfigMemo(inputs, state.memo?.config);
  const parsed = configMemo.result;
  const configErrors = parsed.ok ? [] : parsed.errors;
  const config = parsed.ok ? parsed.config : state.lastGoodConfig;
  const configurationState = configurationStateStatus(configErrors, options.now, state.configurationState);

  // Until some configuration has parsed, nothing is allocated and nothing is cleared: clearing on
  // a broken first config would strip every IP on a controller restart.
  if (config === undefined) {
    return {
      state: { ...state, configurationState, memo: { config: configMemo, book: undefined } },
      writes: new Map(),
      events: [],
      decisions: [],
      pools: new Map(),
      configErrors,
      configStale: !parsed.ok,
      configLoaded: false,
      configurationState,
    };
  }

  const step = allocationStep(inputs, inputs.serviceIndex, config, options.loadBalancerClass, {
    expected: state.expected,
    lastEvents: state.lastEvents,
    claims: state.claims,
    book: state.memo?.book,
  });
  return {
    state: {
      lastGoodConfig: config,
      expected: step.expected,
      lastEvents: step.lastEvents,
      claims: step.claims,
      configurationState,
      memo: { config: configMemo, book: step.book },
    },
    writes: step.writes,
    events: step.events,
    decisions: step.decisions,
    pools: step.pools,
    configErrors,
    configStale: !parsed.ok,
    configLoaded: true,
    configurationState,
  };
}
