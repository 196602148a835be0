/**
 * The speaker's wiring, and only wiring:
 *
 *   list+watch per kind -> reflect() -> clusterSnapshot$ (all synced, coalesced) --+
 *   membership: live speakers (members$), only while Layer 2 is configured -------+-> combineLatest
 *     -> reconcileSpeaker (pure, domain/) -> each protocol's announcer (its whole desired set,
 *        through the one Announcer contract), ServiceL2Status, nodeAssigned Events,
 *        ConfigurationState speaker-<node>, metrics, logs
 *
 * A membership change is reconciled at once (no coalescing): it is the failover path. When the
 * apiserver is away the stores keep their last state and the watches retry on their own, so the
 * speakers keep announcing and keep failing over among themselves on membership alone.
 */
import { combineLatest, type Observable, of, tap } from "rxjs";
import type { Announcer } from "../announcers/announcer.ts";
import type { L2Desired, L2Status } from "../announcers/l2/announcer.ts";
import { type AnnounceRequest, announceRequestOf } from "../domain/announce/request.ts";
import type { EndpointSlice, Node, Service } from "../domain/api/core.ts";
import { LABEL_NODE } from "../domain/api/labels.ts";
import type { ServiceBGPStatus } from "../domain/api/service-bgp-status.ts";
import type { ServiceL2Status } from "../domain/api/service-l2-status.ts";
import type { BgpSecret } from "../domain/bgp/password.ts";
import { changedRouteCount } from "../domain/bgp/route-changes.ts";
import type { BgpDesired, BgpSessionStatus } from "../domain/bgp/types.ts";
import { announcedRowsOf } from "../domain/speaker/announced-gauge.ts";
import { decisionChanges } from "../domain/speaker/decision-changes.ts";
import { EXCLUDE_CONFIGMAP, excludeInterfacesOf } from "../domain/speaker/exclude-interfaces.ts";
import type { SpeakerInputs } from "../domain/speaker/inputs.ts";
import { initialSpeakerState, reconcileSpeaker, type SpeakerOutcome } from "../domain/speaker/reconcile.ts";
import type { KubeClient } from "../kube/client.ts";
import { configurationStateJob, isTerminalWriteError } from "../kube/controller-writes.ts";
import { KeyedWriter } from "../kube/keyed-writer.ts";
import {
  bgpStatusForSpeaker,
  l2StatusForSpeaker,
  sameProjection,
  sliceForElection,
} from "../kube/projections.ts";
import { ReportingHold } from "../kube/reporting-hold.ts";
import { resources } from "../kube/resource.ts";
import { bgpStatusJobs, l2StatusJobs, StatusJobMemo } from "../kube/speaker-writes.ts";
import { reflectKeyed } from "../kube/store.ts";
import { mapEventObjects } from "../kube/trim.ts";
import type { KubeObject } from "../kube/types.ts";
import { listWatch$ } from "../kube/watch.ts";
import type { SegmentMembers } from "../membership/membership.ts";
import type { Logger } from "../observability/log.ts";
import type { ClientMetrics, SpeakerMetrics } from "../observability/metrics.ts";
import {
  configErrorLogger,
  loggingEventSink,
  postServiceEvents,
  rfc3339Seconds,
  watchRetryReporter,
  writeErrorReporter,
} from "./reporting.ts";
import { type Cycle, type ReconcileLoop, runReconcileLoop } from "./runner.ts";
import { clusterSnapshot$, type SnapshotOf } from "./snapshot.ts";
import { configurationInputs, sharedSources, store } from "./sources.ts";

/** The announcers the speaker drives, one per protocol, all through the one contract. */
export interface SpeakerAnnouncers {
  readonly l2: Announcer<L2Desired, L2Status>;
  /** Absent: BGP is not served by this speaker (tests of Layer 2 alone). */
  readonly bgp?: Announcer<BgpDesired, readonly BgpSessionStatus[]>;
}

/** membership/on-demand.ts, as the speaker drives it. */
export interface SpeakerMembership {
  readonly members$: Observable<ReadonlySet<string>>;
  /** The live speakers heard on the other interfaces Layer 2 answers on (membership/segments.ts). */
  readonly segments$: Observable<readonly SegmentMembers[]>;
  setWanted(layer2Configured: boolean): void;
  /** The interfaces Layer 2 answers on: the membership beats on each one's segment. */
  setAnnouncing(interfaces: readonly string[]): void;
}

export interface SpeakerDeps {
  readonly client: KubeClient;
  readonly namespace: string;
  readonly nodeName: string;
  readonly loadBalancerClass: string;
  readonly ignoreExcludeLB: boolean;
  readonly nonRevertive: boolean;
  readonly announcers: SpeakerAnnouncers;
  /**
   * Live speakers (node names, self included; a set without this node: none known yet), run only
   * while Layer 2 is configured, as this speaker tells it. Undefined: membership disabled, every
   * Node counts.
   */
  readonly membership: SpeakerMembership | undefined;
  readonly log: Logger;
  readonly clientMetrics: ClientMetrics;
  readonly speakerMetrics: SpeakerMetrics;
  readonly coalesceMs?: number;
  readonly now?: () => Date;
  /** Told how long each cycle (reconcile and effects) took: the idle memory trim listens. */
  readonly onCycle?: (ms: number) => void;
}

export interface RunningSpeaker {
  notReadyBecause(): string;
  stop(): Promise<void>;
}

const COMPONENT = "metallb-speaker";

interface ConfigMap extends KubeObject {
  data?: Record<string, string>;
}

function sources(deps: SpeakerDeps) {
  const { client, namespace } = deps;
  const onRetry = watchRetryReporter(deps.log, deps.clientMetrics);
  return {
    ...sharedSources(client, namespace, { onRetry }),
    // Of each Service, only its announce request: the one thing the speaker reads of it, one object
    // and its IPs' list, keyed by the request's own `namespace/name` (no second copy of that text).
    services: listWatch$<Service & KubeObject>(client, resources.services, {
      onRetry: onRetry("services"),
    }).pipe(
      mapEventObjects(announceRequestOf),
      reflectKeyed<AnnounceRequest>({ key: (request) => request.key, unchanged: sameProjection }),
    ),
    endpointSlices: store(
      listWatch$<EndpointSlice & KubeObject>(client, resources.endpointSlices, {
        onRetry: onRetry("endpointslices"),
      }).pipe(mapEventObjects(sliceForElection)),
      { unchanged: sameProjection },
    ),
    nodes: store(listWatch$<Node & KubeObject>(client, resources.nodes, { onRetry: onRetry("nodes") })),
    // Only this node's, unless non-revertive mode must see who announces elsewhere: with 10k
    // Services the others' objects would be most of a speaker's memory.
    serviceL2Statuses: store(
      listWatch$<ServiceL2Status & KubeObject>(client, resources.serviceL2Statuses, {
        namespace,
        ...(!deps.nonRevertive && { labelSelector: `${LABEL_NODE}=${deps.nodeName}` }),
        onRetry: onRetry("servicel2statuses"),
      }).pipe(mapEventObjects(l2StatusForSpeaker)),
      { unchanged: sameProjection },
    ),
    serviceBGPStatuses: store(
      listWatch$<ServiceBGPStatus & KubeObject>(client, resources.serviceBGPStatuses, {
        namespace,
        labelSelector: `${LABEL_NODE}=${deps.nodeName}`,
        onRetry: onRetry("servicebgpstatuses"),
      }).pipe(mapEventObjects(bgpStatusForSpeaker)),
      { unchanged: sameProjection },
    ),
    // BGPPeer passwordSecrets: kubernetes.io/basic-auth Secrets of this namespace, only those.
    bgpSecrets: store(
      listWatch$<BgpSecret & KubeObject>(client, resources.secrets, {
        namespace,
        fieldSelector: "type=kubernetes.io/basic-auth",
        onRetry: onRetry("secrets"),
      }),
    ),
    excludeConfigMap: store(
      listWatch$<ConfigMap>(client, resources.configMaps, {
        namespace,
        fieldSelector: `metadata.name=${EXCLUDE_CONFIGMAP}`,
        onRetry: onRetry("configmaps"),
      }),
    ),
  };
}

type Snapshot = SnapshotOf<ReturnType<typeof sources>>;

interface Prepared {
  readonly snapshot: Snapshot;
  readonly inputs: SpeakerInputs;
}

export function startSpeaker(deps: SpeakerDeps): RunningSpeaker {
  const { client, log, namespace, nodeName } = deps;
  const now = deps.now ?? (() => new Date());
  const onError = writeErrorReporter(log, deps.clientMetrics);
  const statusWriter = new KeyedWriter({
    concurrency: 8,
    // A create the watch has not shown after 10 s (the default) is usually only late under a
    // flood, and running it again makes a duplicate object (generateName) to delete later. A
    // minute still repairs a status someone deleted by hand.
    confirmAfterMs: 60_000,
    isTerminal: isTerminalWriteError,
    onError: onError("l2Status"),
  });
  const stateWriter = new KeyedWriter({
    concurrency: 1,
    confirmAfterMs: 300_000,
    onError: onError("configurationState"),
  });
  const events = loggingEventSink(client, log);
  // Routes first: the reporting writes wait while the routers take a burst of routes in.
  const reportingHold = new ReportingHold([statusWriter, { pause: (held) => events.defer(held) }]);
  const l2Jobs = new StatusJobMemo();
  const bgpJobs = new StatusJobMemo();

  let readyReason = "waiting for the first list of Services, EndpointSlices, Nodes and metallb.io objects";
  const logConfigErrors = configErrorLogger(log);
  let lastExcludeProblems = "";
  /** Raised when a member (re)joins: the L2 owners announce their IPs again at once. */
  let reannounce = 0;
  /** When the live set last lost a member: the start of a takeover, for the takeover histogram. */
  let memberLostAt: number | undefined;
  let previousMembers: ReadonlySet<string> | undefined;
  /** Each other announcing segment's live speakers at the last cycle, by interface. */
  let previousSegments = new Map<string, ReadonlySet<string>>();
  let announcedIPs = new Set<string>();
  let lastBgpProblems = "";
  let lastUnrouted: ReadonlyMap<string, string> = new Map();
  /** BGPPeer problems and Services that reach no peer, logged when they change. */
  const logBgpProblems = (outcome: SpeakerOutcome) => {
    const print = outcome.bgp.peerProblems.map((p) => p.message).join("\n");
    if (print !== lastBgpProblems) {
      lastBgpProblems = print;
      for (const p of outcome.bgp.peerProblems) {
        const fields = { op: "bgpPeer", peer: p.peer, code: p.code, field: p.field };
        if (p.severity === "error") log.error(fields, p.message);
        else log.warn(fields, p.message);
      }
    }
    for (const [service, reason] of outcome.bgp.unrouted) {
      if (lastUnrouted.get(service) !== reason)
        log.info({ op: "setBalancer", protocol: "bgp", service, reason }, "serviceWithdrawn");
    }
    lastUnrouted = outcome.bgp.unrouted;
  };

  const members$: Observable<ReadonlySet<string> | undefined> = deps.membership?.members$ ?? of(undefined);
  const segments$: Observable<readonly SegmentMembers[]> = deps.membership?.segments$ ?? of([]);
  // The coalescing window follows the cost of one cycle (reconcile and effects), as in the
  // controller: at least the configured window and at least twice the last cycle, so a flood of
  // apiserver changes (10k EndpointSlices) never takes more than a third of a core. Membership
  // changes are combined after this window: a failover never waits for it.
  const baseWindowMs = deps.coalesceMs ?? 5;
  let loop: ReconcileLoop | undefined;
  let firstSnapshot = true;
  const snapshot$ = clusterSnapshot$(sources(deps), {
    coalesceMs: () => Math.max(baseWindowMs, 2 * (loop?.lastCycleMs() ?? 0)),
  }).pipe(
    tap((snapshot) => {
      // Before the first reconcile, which waits for members$: membership runs (the speaker
      // starts it) while there is any L2Advertisement at all; from then on each reconcile's
      // verdict decides (applyCycle).
      if (!firstSnapshot) return;
      firstSnapshot = false;
      deps.membership?.setWanted(snapshot.l2Advertisements.size > 0);
    }),
  );

  // The membership beats where Layer 2 answers: every interface with a responder.
  const interfaces$ = deps.announcers.l2.status$.pipe(
    tap((names) => deps.membership?.setAnnouncing(names ?? [])),
  );
  const applyCycle = ({ input: { snapshot }, outcome, previous }: Cycle<Prepared, SpeakerOutcome>): void => {
    readyReason = "";

    const exclude = excludeInterfacesOf([...snapshot.excludeConfigMap.values()][0]?.data);
    const problems = JSON.stringify(exclude.problems);
    if (problems !== lastExcludeProblems) {
      lastExcludeProblems = problems;
      for (const p of exclude.problems)
        log.error(
          { op: "excludel2", pattern: p.pattern, error: p.why },
          "invalid interface exclude pattern ignored",
        );
    }
    deps.announcers.l2.setDesired({
      configured: outcome.l2.configured,
      entries: outcome.l2.entries,
      excludeInterfaces: exclude.patterns,
      reannounce,
    });
    if (deps.announcers.bgp !== undefined) {
      deps.announcers.bgp.setDesired(outcome.bgp.desired);
      reportingHold.routesChanged(
        changedRouteCount(previous?.bgp.desired.routes, outcome.bgp.desired.routes),
      );
    }
    deps.membership?.setWanted(outcome.l2.configured);
    logDecisionChanges(log, previous, outcome);
    logBgpProblems(outcome);

    const ips = new Set(outcome.l2.entries.map((e) => e.ip));
    const gained = [...ips].filter((ip) => !announcedIPs.has(ip));
    if (gained.length > 0 && memberLostAt !== undefined) {
      deps.speakerMetrics.takeoverSeconds.observe((performance.now() - memberLostAt) / 1000);
      log.info(
        { op: "takeover", ips: gained, ms: Math.round(performance.now() - memberLostAt) },
        "took over",
      );
      memberLostAt = undefined;
    }
    announcedIPs = ips;

    statusWriter.setDesired(
      new Map([
        ...prefixed(
          "l2",
          l2StatusJobs(
            client,
            namespace,
            nodeName,
            outcome.l2.statuses,
            snapshot.serviceL2Statuses.values(),
            l2Jobs,
          ),
        ),
        ...prefixed(
          "bgp",
          bgpStatusJobs(
            client,
            namespace,
            nodeName,
            outcome.bgp.statuses,
            snapshot.serviceBGPStatuses.values(),
            bgpJobs,
          ),
        ),
      ]),
    );
    stateWriter.setDesired(
      new Map([
        [
          outcome.configurationState.name,
          configurationStateJob(
            client,
            namespace,
            outcome.configurationState.name,
            { ...outcome.configurationState.labels },
            outcome.configurationState.status,
          ),
        ],
      ]),
    );

    postServiceEvents(events, log, "setBalancer", outcome.events, COMPONENT, nodeName);
    logConfigErrors(outcome.configErrors);

    deps.clientMetrics.configLoaded.set(outcome.configLoaded ? 1 : 0);
    deps.clientMetrics.configStale.set(outcome.configStale ? 1 : 0);
    // The rows are made when scraped, from this run's decisions.
    const gauge = outcome.announcedGauge;
    deps.speakerMetrics.announced.show(() => announcedRowsOf(gauge));
  };

  const sessions$ = deps.announcers.bgp?.status$ ?? of([]);
  loop = runReconcileLoop(combineLatest([snapshot$, members$, interfaces$, sessions$, segments$]), {
    prepare: ([snapshot, members, localInterfaces, bgpSessions, segments]): Prepared => {
      // A set without this node is membership not running (yet): no one was lost or came back.
      const live = members?.has(nodeName) ? members : undefined;
      const heard = new Map(segments.map((s) => [s.ifname, s.members]));
      const lost = (now: ReadonlySet<string>, before: ReadonlySet<string> | undefined) =>
        before !== undefined && [...before].some((m) => !now.has(m));
      const joined = (now: ReadonlySet<string>, before: ReadonlySet<string> | undefined) =>
        before !== undefined && [...now].some((m) => !before.has(m));
      if (
        (live && lost(live, previousMembers)) ||
        [...heard].some(([ifname, now]) => lost(now, previousSegments.get(ifname)))
      ) {
        memberLostAt = performance.now();
      }
      // A peer (re)joining after a partition: whoever owns an IP now says so again, at once.
      if (
        (live && joined(live, previousMembers)) ||
        [...heard].some(([ifname, now]) => joined(now, previousSegments.get(ifname)))
      ) {
        reannounce++;
      }
      previousMembers = live;
      previousSegments = heard;
      const inputs: SpeakerInputs = {
        nodeName,
        members: members === undefined ? undefined : [...members].sort(),
        ...(segments.length === 0
          ? {}
          : {
              segments: segments.map((s) => ({
                ifname: s.ifname,
                prefixes: s.prefixes,
                members: [...s.members].sort(),
              })),
            }),
        services: [...snapshot.services.values()],
        endpointSlices: [...snapshot.endpointSlices.values()],
        nodes: [...snapshot.nodes.values()],
        ...configurationInputs(snapshot),
        serviceL2Statuses: [...snapshot.serviceL2Statuses.values()],
        localInterfaces,
        bgpSessions,
        secrets: new Map([...snapshot.bgpSecrets.values()].map((o) => [o.metadata.name ?? "", o])),
      };
      return { snapshot, inputs };
    },
    initialState: initialSpeakerState,
    reconcile: ({ inputs }, state) => {
      const outcome = reconcileSpeaker(inputs, state, {
        loadBalancerClass: deps.loadBalancerClass,
        ignoreExcludeLB: deps.ignoreExcludeLB,
        nonRevertive: deps.nonRevertive,
        namespace,
        now: rfc3339Seconds(now()),
      });
      return { state: outcome.state, outcome };
    },
    apply: applyCycle,
    log,
    onCycle: deps.onCycle,
  });

  return {
    notReadyBecause: () => readyReason,
    async stop() {
      loop?.subscription.unsubscribe();
      reportingHold.release();
      await Promise.all([statusWriter.stop(), stateWriter.stop(), events.idle()]);
    },
  };
}

/** MetalLB's `serviceAnnounced` / `serviceWithdrawn` log lines, once per change of verdict. */
function logDecisionChanges(
  log: Logger,
  previous: SpeakerOutcome | undefined,
  outcome: SpeakerOutcome,
): void {
  const changes = [
    ...decisionChanges(previous?.l2.decisions ?? [], outcome.l2.decisions),
    ...decisionChanges(previous?.bgp.decisions ?? [], outcome.bgp.decisions),
  ];
  for (const c of changes) {
    log.info(
      {
        op: "setBalancer",
        protocol: c.protocol,
        service: c.key,
        ips: c.ips,
        ...(c.reason && { reason: c.reason }),
      },
      c.change,
    );
  }
}

function prefixed<V>(prefix: string, map: ReadonlyMap<string, V>): [string, V][] {
  return [...map].map(([key, value]) => [`${prefix}:${key}`, value]);
}
