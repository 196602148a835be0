/**
 * The controller's wiring, and only wiring:
 *
 *   list+watch per kind -> reflect() -> clusterSnapshot$ (all synced, coalesced)
 *     -> reconcileController (pure, domain/) -> executors: Service writes, pool status,
 *        ConfigurationState, Events, metrics, logs
 *
 * The reconciler's state (last good config, in-flight assignments, reported events) is folded
 * through `scan`, so every snapshot is decided against the previous decision.
 */
import type { SchedulerLike } from "rxjs";
import type { Service } from "../domain/api/core.ts";
import type { IPAddressPool } from "../domain/api/ip-address-pool.ts";
import { configErrorEvents } from "../domain/config/error-events.ts";
import type { ControllerInputs, ServiceIndex } from "../domain/controller/inputs.ts";
import { poolsNeedingStatus } from "../domain/controller/pool-status.ts";
import {
  type ControllerOutcome,
  initialControllerState,
  type PendingWrite,
  reconcileController,
} from "../domain/controller/reconcile.ts";
import type { KubeClient } from "../kube/client.ts";
import {
  configurationStateJob,
  controllerStateLabels,
  isTerminalWriteError,
  poolStatusJob,
  serviceWriteJob,
} from "../kube/controller-writes.ts";
import { eventsAfterWrites } from "../kube/events-after-writes.ts";
import { type KeyedJob, KeyedWriter } from "../kube/keyed-writer.ts";
import { ensureMemberlistSecret } from "../kube/memberlist-secret.ts";
import { changedKeysBetween } from "../kube/store.ts";
import type { Logger } from "../observability/log.ts";
import type { AllocatorMetrics, ClientMetrics } from "../observability/metrics.ts";
import {
  configErrorLogger,
  loggingEventSink,
  postServiceEvents,
  rfc3339Seconds,
  watchRetryReporter,
  writeErrorReporter,
} from "./reporting.ts";
import { type Cycle, type ReconcileLoop, runReconcileLoop } from "./runner.ts";
import { clusterSnapshot$ } from "./snapshot.ts";
import { configurationInputs, sharedSources } from "./sources.ts";

export interface ControllerDeps {
  readonly client: KubeClient;
  /** Where the metallb.io objects, the memberlist Secret and the ConfigurationState live. */
  readonly namespace: string;
  readonly loadBalancerClass: string;
  readonly mlSecretName: string;
  readonly deployment: string;
  readonly log: Logger;
  readonly clientMetrics: ClientMetrics;
  readonly allocatorMetrics: AllocatorMetrics;
  /** Coalescing window for bursts of changes (ms). */
  readonly coalesceMs?: number;
  readonly scheduler?: SchedulerLike;
  readonly now?: () => Date;
  /** Told how long each cycle (reconcile and effects) took: the idle memory trim listens. */
  readonly onCycle?: (ms: number) => void;
}

export interface RunningController {
  /** Empty once the first full view was reconciled; otherwise what readiness waits for. */
  notReadyBecause(): string;
  stop(): Promise<void>;
}

const COMPONENT = "metallb-controller";
/** Service writes in flight at once; the apiserver's PATCH rate levels off around here. */
const SERVICE_WRITE_CONCURRENCY = 32;
/**
 * The coalescing window while Service writes are queued beyond what is in flight (a cold start,
 * a pool renumbered). A reconcile then cannot make anything go out sooner: a new Service's write
 * would queue behind the backlog anyway (the writer is first in, first out). Reconciling each
 * echo of our own writes as it arrives only takes CPU from the apiserver on the same machine
 * (measured: 450 reconciles, 1.9 s of CPU, in a 10k cold start with a 5 ms window).
 */
const BACKLOG_WINDOW_MS = 100;
/** On stop, how long Events still queued may take to post before they are given up. */
const EVENT_DRAIN_MS = 5_000;

function sources(deps: ControllerDeps, serviceWriter: KeyedWriter) {
  return sharedSources(deps.client, deps.namespace, {
    servicesPageSize: 5_000,
    servicesChangeLog: true,
    servicesSpareCopy: true,
    // The reconcile takes one snapshot per backlog window: publishing in between only copies.
    servicesMinSpacingMs: () => (writerBacklogged(serviceWriter) ? BACKLOG_WINDOW_MS : 0),
    onRetry: watchRetryReporter(deps.log, deps.clientMetrics),
  });
}

/** More Service writes waiting than two rounds of the writer's concurrency. */
const writerBacklogged = (writer: KeyedWriter): boolean => writer.backlog > 2 * SERVICE_WRITE_CONCURRENCY;

interface Prepared {
  readonly inputs: ControllerInputs;
  readonly pools: ReadonlyMap<string, IPAddressPool>;
}

export async function startController(deps: ControllerDeps): Promise<RunningController> {
  const { client, log, namespace } = deps;
  const now = deps.now ?? (() => new Date());
  await ensureMemberlistSecret(client, namespace, deps.mlSecretName, deps.deployment, log);

  const onError = writeErrorReporter(log, deps.clientMetrics);
  const serviceWriter = new KeyedWriter({
    concurrency: SERVICE_WRITE_CONCURRENCY,
    isTerminal: isTerminalWriteError,
    onError: onError("setBalancer"),
    onSuccess: () => deps.clientMetrics.updates.inc(),
  });
  const poolWriter = new KeyedWriter({
    concurrency: 4,
    // Counters only report: during a flood the latest ones go out once a second, not per change.
    minIntervalMs: 1_000,
    isTerminal: isTerminalWriteError,
    onError: onError("poolStatus"),
  });
  const stateWriter = new KeyedWriter({
    concurrency: 1,
    confirmAfterMs: 300_000,
    onError: onError("configurationState"),
    onSuccess: (key) => log.debug({ op: "configurationState", key }, "ConfigurationState written"),
  });
  const events = loggingEventSink(client, log);
  // Assignments first, Events after (events-after-writes.ts).
  const eventsAfterServiceWrites = eventsAfterWrites(serviceWriter, events);

  let readyReason = "waiting for the first list of Services, Namespaces and metallb.io objects";
  const logConfigErrors = configErrorLogger(log);
  const stores = sources(deps, serviceWriter);
  // The coalescing window follows the cost of a cycle (reconcile and hand-off to the writers): at
  // least the configured window, and at least twice the last cycle, so reconciling never takes
  // more than a third of the CPU while a flood of changes (10k status updates after a cold start)
  // keeps arriving; and BACKLOG_WINDOW_MS while the Service writer has a backlog.
  const baseWindowMs = deps.coalesceMs ?? 5;
  let loop: ReconcileLoop | undefined;
  // The Services map of the last snapshot reconciled, and its array: the store tells which keys
  // changed between two of its maps, so a reconcile after one change costs one change.
  let lastServiceMap: ReadonlyMap<string, Service> | undefined;
  let lastServiceArray: readonly Service[] | undefined;
  // One job per decided write: a write the reconciler carries over unchanged keeps its identity,
  // so its patch is not serialized again on every reconcile.
  const serviceJobs = new WeakMap<PendingWrite, KeyedJob>();
  const snapshot$ = clusterSnapshot$(stores, {
    coalesceMs: () =>
      Math.max(
        baseWindowMs,
        2 * (loop?.lastCycleMs() ?? 0),
        writerBacklogged(serviceWriter) ? BACKLOG_WINDOW_MS : 0,
      ),
    scheduler: deps.scheduler,
  });
  const apply = ({ input: { inputs, pools }, outcome }: Cycle<Prepared, ControllerOutcome>): void => {
    readyReason = "";

    const desired = new Map<string, KeyedJob>();
    for (const [key, pending] of outcome.writes) {
      let job = serviceJobs.get(pending);
      if (job === undefined) {
        job = serviceWriteJob(client, pending);
        serviceJobs.set(pending, job);
      }
      desired.set(key, job);
    }
    serviceWriter.setDesired(desired);
    eventsAfterServiceWrites();

    poolWriter.setDesired(
      new Map(
        poolsNeedingStatus(outcome.pools, pools.values()).map(([name, c]) => [
          name,
          poolStatusJob(client, namespace, name, c),
        ]),
      ),
    );
    stateWriter.setDesired(
      new Map([
        [
          "controller",
          configurationStateJob(
            client,
            namespace,
            "controller",
            controllerStateLabels(),
            outcome.configurationState,
          ),
        ],
      ]),
    );

    postServiceEvents(events, log, "allocate", outcome.events, COMPONENT);
    if (logConfigErrors(outcome.configErrors) && outcome.configErrors.length > 0) {
      events.post(
        configErrorEvents(outcome.configErrors, inputs).map((e) => ({ ...e, component: COMPONENT })),
      );
    }

    deps.clientMetrics.configLoaded.set(outcome.configLoaded ? 1 : 0);
    deps.clientMetrics.configStale.set(outcome.configStale ? 1 : 0);
    const m = deps.allocatorMetrics;
    for (const g of Object.values(m)) g.reset();
    for (const [pool, c] of outcome.pools) {
      m.ipv4AddressesTotal.set({ pool }, c.assignedIPv4 + c.availableIPv4);
      m.ipv6AddressesTotal.set({ pool }, c.assignedIPv6 + c.availableIPv6);
      m.addressesTotal.set({ pool }, c.assignedIPv4 + c.availableIPv4 + c.assignedIPv6 + c.availableIPv6);
      m.ipv4AddressesInUse.set({ pool }, c.assignedIPv4);
      m.ipv6AddressesInUse.set({ pool }, c.assignedIPv6);
      m.addressesInUse.set({ pool }, c.assignedIPv4 + c.assignedIPv6);
    }
  };
  loop = runReconcileLoop(snapshot$, {
    prepare: (snapshot): Prepared => {
      const byKey: ReadonlyMap<string, Service> = snapshot.services;
      const keys = lastServiceMap && changedKeysBetween(lastServiceMap, byKey);
      let services = byKey === lastServiceMap ? lastServiceArray : undefined;
      const serviceIndex: ServiceIndex = {
        byKey,
        ...(lastServiceMap && keys && { changed: { since: lastServiceMap, keys } }),
      };
      lastServiceMap = byKey;
      lastServiceArray = services;
      const inputs: ControllerInputs = {
        // Built when the reconcile needs every Service (a full plan): one change among 10k is
        // decided from the index, without this O(n) copy (0.3 ms at 10k, bench peers).
        get services() {
          if (services === undefined) {
            services = [...byKey.values()];
            if (lastServiceMap === byKey) lastServiceArray = services;
          }
          return services;
        },
        serviceIndex,
        ...configurationInputs(snapshot),
      };
      return { inputs, pools: snapshot.ipAddressPools };
    },
    initialState: initialControllerState,
    reconcile: ({ inputs }, state) => {
      const outcome = reconcileController(inputs, state, {
        loadBalancerClass: deps.loadBalancerClass,
        now: rfc3339Seconds(now()),
      });
      return { state: outcome.state, outcome };
    },
    apply,
    log,
    onCycle: deps.onCycle,
  });

  return {
    notReadyBecause: () => readyReason,
    async stop() {
      loop?.subscription.unsubscribe();
      events.defer(false);
      await Promise.all([
        serviceWriter.stop(),
        poolWriter.stop(),
        stateWriter.stop(),
        events.idle(EVENT_DRAIN_MS),
      ]);
    },
  };
}
