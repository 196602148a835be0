/**
 * The controller's reconciler: the whole cluster in, the whole desired outcome out. Pure, total and
 * deterministic (the clock comes in as `now`): config parsing with last-good fallback (MetalLB keeps
 * serving the last good configuration when a new one fails to parse), MetalLB's allocation, the
 * writes that bring each Service to its decision, the Events, the pool counters and the
 * ConfigurationState. Level-triggered: it never sees what changed, only what is.
 */
import type { PoolCounters, ServiceDecision, ServiceWrite } from "../allocator/decision.ts";
import type { ServiceEvent } from "../allocator/events.ts";
import { allocationPlan } from "../allocator/plan.ts";
import { type AllocationRequest, allocationRequestOf } from "../allocator/request.ts";
import type { ConfigurationStateStatus } from "../api/configuration-state.ts";
import type { ConfigError } from "../config/errors.ts";
import { parseConfig } from "../config/parse-config.ts";
import type { Config } from "../config/types.ts";
import { configurationStateStatus } from "./configuration-state.ts";
import { type ExpectedAssignment, effectiveAssignment, observedMatches } from "./expected.ts";
import type { ControllerInputs } from "./inputs.ts";

export interface ControllerState {
  /** The last configuration that parsed; undefined until one did. */
  readonly lastGoodConfig: Config | undefined;
  readonly expected: ReadonlyMap<string, ExpectedAssignment>;
  /** Fingerprint of the events last emitted per Service, so a lasting failure is reported once. */
  readonly lastEvents: ReadonlyMap<string, string>;
  readonly configurationState: ConfigurationStateStatus | undefined;
}

export const initialControllerState: ControllerState = {
  lastGoodConfig: undefined,
  expected: new Map(),
  lastEvents: new Map(),
  configurationState: undefined,
};

export interface ServiceRef {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

export interface PendingWrite extends ServiceRef {
  readonly write: ServiceWrite;
}

export interface EventIntent extends ServiceRef {
  readonly event: ServiceEvent;
}

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

/** Decisions that leave the Service as it is (another controller's, or unreadable cluster IPs). */
const UNTOUCHED: ReadonlySet<ServiceDecision["reason"]> = new Set([
  "loadBalancerClassMismatch",
  "invalidClusterIPs",
]);

function desiredWrite(decision: ServiceDecision): ServiceWrite | undefined {
  if (UNTOUCHED.has(decision.reason)) return undefined;
  return {
    ingressIPs: decision.ips,
    allocatedFromPool: decision.ips.length === 0 ? undefined : decision.pool,
  };
}

/** Same object (uid) and same events: already reported. */
function fingerprint(uid: string, events: readonly ServiceEvent[]): string {
  return [uid, ...events.map((e) => `${e.type}/${e.reason}/${e.message}`)].join("\n");
}

export function reconcileController(
  inputs: ControllerInputs,
  state: ControllerState,
  options: ReconcileOptions,
): ControllerOutcome {
  const parsed = parseConfig({
    ipAddressPools: inputs.ipAddressPools,
    l2Advertisements: inputs.l2Advertisements,
    bgpAdvertisements: inputs.bgpAdvertisements,
    bgpPeers: inputs.bgpPeers,
    bfdProfiles: inputs.bfdProfiles,
    communities: inputs.communities,
    namespaces: inputs.namespaces,
  });
  const configErrors = parsed.ok ? [] : parsed.errors;
  const config = parsed.ok ? parsed.config : state.lastGoodConfig;
  const configurationState = configurationStateStatus(configErrors, options.now, state.configurationState);

  // Until some configuration has parsed, nothing is allocated and nothing is cleared: clearing on
  // a broken first config would strip every IP on a controller restart.
  if (config === undefined) {
    return {
      state: { ...state, configurationState },
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

  const refs = new Map<string, ServiceRef>();
  const observed = new Map<string, AllocationRequest>();
  const requests = inputs.services.map((svc) => {
    const request = allocationRequestOf(svc);
    const uid = svc.metadata.uid ?? "";
    refs.set(request.key, { namespace: request.namespace, name: request.name, uid });
    observed.set(request.key, request);
    return {
      ...request,
      current: effectiveAssignment(request.current, state.expected.get(request.key), uid),
    };
  });
  const plan = allocationPlan(config, requests, { loadBalancerClass: options.loadBalancerClass });

  const writes = new Map<string, PendingWrite>();
  const expected = new Map<string, ExpectedAssignment>();
  const lastEvents = new Map<string, string>();
  const events: EventIntent[] = [];
  for (const decision of plan.decisions) {
    const ref = refs.get(decision.key)!;
    const want = desiredWrite(decision);
    if (want !== undefined && !observedMatches(observed.get(decision.key)!.current, want)) {
      writes.set(decision.key, { ...ref, write: want });
      expected.set(decision.key, { uid: ref.uid, write: want });
    }
    if (decision.events.length > 0) {
      const print = fingerprint(ref.uid, decision.events);
      lastEvents.set(decision.key, print);
      if (state.lastEvents.get(decision.key) !== print) {
        for (const event of decision.events) events.push({ ...ref, event });
      }
    }
  }

  return {
    state: { lastGoodConfig: config, expected, lastEvents, configurationState },
    writes,
    events,
    decisions: plan.decisions,
    pools: plan.pools,
    configErrors,
    configStale: !parsed.ok,
    configLoaded: true,
    configurationState,
  };
}
