/**
 * The speaker's reconciler: the whole cluster (and the live member set) in, the whole desired
 * Layer 2 outcome of this node out. Pure, total and deterministic (the clock comes in as `now`),
 * level-triggered like reconcileController: it never sees what changed, only what is, and the
 * caller folds `state` from one run into the next.
 *
 * - Configuration: parsed with the Nodes (advertisement nodeSelectors resolve to node names); an
 *   invalid one, or one that would orphan an IP this node announces, is not used: the last good
 *   one keeps serving (MetalLB §1.9, §4.1), reported as stale and on `speaker-<node>`.
 * - Decisions: one per Service (l2DecisionFor), in key order.
 * - Non-revertive mode: the owner of every IP is remembered (`state.owners`, by first IP) and kept
 *   while it stays a candidate; without memory (a restart) the observed ServiceL2Status objects
 *   say who announces now.
 * - Events: `nodeAssigned` once per takeover (a Service this node did not announce before, or
 *   announced with other IPs or as another object), not on every run.
 */
import { type BgpAnnounce, type BgpDecision, bgpDecisionFor } from "../announce/bgp-decision.ts";
import { type L2Decision, l2DecisionFor } from "../announce/l2-decision.ts";
import type { AnnounceRequest } from "../announce/request.ts";
import { announceViewOf } from "../announce/view.ts";
import type { ConfigurationStateStatus } from "../api/configuration-state.ts";
import { serviceKey } from "../api/core.ts";
import type { ServiceL2Status } from "../api/service-l2-status.ts";
import type { BgpPeerProblem } from "../bgp/peer-problems.ts";
import { type BgpRouteWithdrawReason, type BgpServiceInput, bgpRoutesFor } from "../bgp/routes.ts";
import { bgpSessionsFor } from "../bgp/sessions.ts";
import type { BgpDesired } from "../bgp/types.ts";
import { type ConfigMemo, parseConfigMemo } from "../config/config-memo.ts";
import type { ConfigError } from "../config/errors.ts";
import type { Config } from "../config/types.ts";
import { nodeFactsOf } from "../election/node-facts.ts";
import { SlicesByService, servingEndpointsOf } from "../election/serving-endpoints.ts";
import type { AnnouncedGauge } from "./announced-gauge.ts";
import {
  speakerConfigurationStateLabels,
  speakerConfigurationStateName,
  speakerConfigurationStateStatus,
} from "./configuration-state.ts";
import {
  type DecisionBase,
  type DecisionMemo,
  decideAll,
  recordsOf,
  type ServiceRecord,
} from "./decision-memo.ts";
import {
  type DesiredBgpStatus,
  type DesiredL2Status,
  desiredL2Statuses,
  type L2Entry,
  l2EntriesOf,
} from "./desired.ts";
import { nodeAssigned, type SpeakerEvent } from "./events.ts";
import type { SpeakerInputs } from "./inputs.ts";
import { checkInterfaces } from "./interface-check.ts";
import { type OrphanedAnnouncement, orphanedAnnouncements, orphanMessage } from "./orphans.ts";
import { hasBgpAdvertisements, hasL2Advertisements } from "./protocols.ts";

export interface SpeakerState {
  /** The last configuration in use; undefined until one was accepted. */
  readonly lastGoodConfig: Config | undefined;
  /** Services this node announced in Layer 2 at the last run: key -> what (uid and IPs). */
  readonly announced: ReadonlyMap<string, string>;
  /**
   * Services this node announced over BGP at the last run: key -> what (its decision's uid and
   * IPs; the decision itself, which the run keeps anyway, rather than 10k texts).
   */
  readonly bgpAnnounced?: ReadonlyMap<string, BgpAnnounce>;
  /**
   * Non-revertive mode only (empty otherwise: nothing else reads it, and at 10k Services the map
   * alone is 0.7 MB of a speaker's heap): first IP -> the node elected for it at the last run
   * (every IP, not only this node's).
   */
  readonly owners: ReadonlyMap<string, string>;
  readonly configurationState: ConfigurationStateStatus | undefined;
  /** Services whose `announceFailed` was reported, with what was reported (interface-check.ts). */
  readonly announceFailed?: ReadonlyMap<string, string>;
  /** What makes the next run cheap (decision-memo.ts); never changes an outcome. */
  readonly memo?: {
    readonly config: ConfigMemo;
    readonly decisions: DecisionMemo;
    /** Last run's routes per peer, reused where equal (bgpRoutesFor `previous`). */
    readonly bgpRoutes?: BgpDesired["routes"];
  };
}

/** What a Service was announced as: the object (uid) and its IPs. */
interface AnnouncedAs {
  readonly uid: string;
  readonly ips: readonly string[];
}

const sameAnnouncement = (a: AnnouncedAs | undefined, b: AnnouncedAs): boolean =>
  a !== undefined &&
  (a === b || (a.uid === b.uid && a.ips.length === b.ips.length && a.ips.every((ip, i) => ip === b.ips[i])));

export const initialSpeakerState: SpeakerState = {
  lastGoodConfig: undefined,
  announced: new Map(),
  owners: new Map(),
  configurationState: undefined,
};

export interface SpeakerOptions {
  /** --lb-class; "" serves only Services without a class. */
  readonly loadBalancerClass: string;
  /** --ignore-exclude-lb. */
  readonly ignoreExcludeLB: boolean;
  /** Keep an IP on its current owner while that node stays a candidate (metalbun opt-in). */
  readonly nonRevertive: boolean;
  /** RFC 3339, for condition transition times. */
  readonly now: string;
  /** The MetalLB namespace: a BGPPeer passwordSecret naming another one is refused. */
  readonly namespace?: string;
}

export interface ServiceRef {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
}

export interface SpeakerEventIntent extends ServiceRef {
  readonly event: SpeakerEvent;
}

export interface SpeakerConfigurationState {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly status: ConfigurationStateStatus;
}

/** What Layer 2 asks of its announcer and writers. */
export interface L2Outcome {
  /**
   * The configuration in use has an L2Advertisement: the announcer keeps its sockets open (even
   * with no entries, to take over at once); false, it has none.
   */
  readonly configured: boolean;
  /** The announcer's whole desired set: one entry per IP, in address order. */
  readonly entries: readonly L2Entry[];
  /** One per Service, in key order; empty when the configuration advertises over BGP alone. */
  readonly decisions: readonly L2Decision[];
  /** The ServiceL2Status objects this node should hold, in key order. */
  readonly statuses: readonly DesiredL2Status[];
}

/** What BGP asks of its announcer and writers. */
export interface BgpOutcome {
  /** One per Service, in key order; empty when the configuration has no BGPAdvertisement. */
  readonly decisions: readonly BgpDecision[];
  /** The announcer's whole desired set: this node's sessions and each one's routes. */
  readonly desired: BgpDesired;
  /** The ServiceBGPStatus objects this node should hold, in key order. */
  readonly statuses: readonly DesiredBgpStatus[];
  /** BGPPeers this node cannot serve as asked (also on `speaker-<node>`). */
  readonly peerProblems: readonly BgpPeerProblem[];
  /** Announcing Services that reach no peer, and why (logged, not withdrawn elsewhere). */
  readonly unrouted: ReadonlyMap<string, BgpRouteWithdrawReason>;
}

const NO_BGP_DESIRED: BgpDesired = { sessions: [], routes: new Map() };

export interface SpeakerOutcome {
  readonly state: SpeakerState;
  readonly l2: L2Outcome;
  readonly bgp: BgpOutcome;
  /** Events to emit now (only takeovers since the previous run), every protocol's. */
  readonly events: readonly SpeakerEventIntent[];
  readonly configurationState: SpeakerConfigurationState;
  readonly configErrors: readonly ConfigError[];
  /** A valid configuration refused because it would orphan these announcements. */
  readonly orphaned: readonly OrphanedAnnouncement[];
  /** Serving an older configuration (metallb_k8s_client_config_stale_bool). */
  readonly configStale: boolean;
  /** A configuration is in use (metallb_k8s_client_config_loaded_bool). */
  readonly configLoaded: boolean;
  /** What `metallb_speaker_announced` shows (its rows: announcedRowsOf). */
  readonly announcedGauge: AnnouncedGauge;
}

function firstIPOf(request: AnnounceRequest): string | undefined {
  return request.ips[0];
}

/** Service key -> nodes whose ServiceL2Status says they announce it, sorted. */
function observedAnnouncers(statuses: readonly ServiceL2Status[]): Map<string, string[]> {
  const found = new Map<string, string[]>();
  for (const object of statuses) {
    const s = object.status;
    if (!s?.node || !s.serviceName || s.serviceNamespace === undefined) continue;
    const key = serviceKey(s.serviceNamespace, s.serviceName);
    found.set(key, [...(found.get(key) ?? []), s.node].sort());
  }
  return found;
}

/**
 * First IP -> the nodes that may be announcing it now: this speaker's memory, else the
 * ServiceL2Status objects of the Services on that IP.
 */
function incumbentsByIP(
  requests: readonly AnnounceRequest[],
  state: SpeakerState,
  statuses: readonly ServiceL2Status[],
  self: string,
): Map<string, readonly string[]> {
  const observed = observedAnnouncers(statuses);
  const incumbents = new Map<string, readonly string[]>();
  for (const request of requests) {
    const ip = firstIPOf(request);
    if (ip === undefined) continue;
    const remembered = state.owners.get(ip);
    if (remembered !== undefined) {
      incumbents.set(ip, [remembered]);
      continue;
    }
    // Without memory this speaker has announced nothing since it started: a ServiceL2Status of
    // its own node is a leftover of its previous life (killed before it could delete it), and
    // trusting it would make a returning node claim an IP its successor holds.
    const seen = (observed.get(request.key) ?? []).filter((node) => node !== self);
    incumbents.set(ip, [...new Set([...(incumbents.get(ip) ?? []), ...seen])].sort());
  }
  return incumbents;
}

function announcedFingerprint(decision: L2Decision | BgpDecision): string {
  return `${decision.uid}|${decision.ips.join(",")}`;
}

function sameNames(a: readonly string[], b: readonly string[]): boolean {
  return a === b || (a.length === b.length && a.every((name, i) => name === b[i]));
}

/**
 * The ServiceBGPStatus a Service's BGP decision wants, kept on its record while the decision and
 * the peer list stand: a run over 10k Services then allocates statuses only for what changed.
 * Peer lists are compared by their names: bgpRoutesFor shares equal lists within one call only.
 */
function bgpStatusOf(record: ServiceRecord, d: BgpDecision, node: string, peers: readonly string[]) {
  const cached = record.bgpStatus;
  if (cached !== undefined && cached.node === node && sameNames(cached.peers, peers)) return cached;
  const status: DesiredBgpStatus = {
    key: d.key,
    node,
    serviceName: d.name,
    serviceNamespace: d.namespace,
    peers,
  };
  record.bgpStatus = status;
  return status;
}

/** The BGP part of the outcome: routes per session from the announcing decisions. */
function bgpOutcomeOf(
  records: readonly ServiceRecord[],
  decisions: readonly BgpDecision[],
  config: Config | undefined,
  self: string,
  sessions: { readonly sessions: BgpDesired["sessions"]; readonly problems: readonly BgpPeerProblem[] },
  previous: BgpDesired["routes"] | undefined,
): { outcome: BgpOutcome; routed: ReadonlySet<string> } {
  const services: BgpServiceInput[] = [];
  for (const d of decisions) {
    const pool = d.announce ? config?.pools.byName.get(d.pool) : undefined;
    if (d.announce && pool !== undefined) services.push({ key: d.key, ips: d.ips, pool, labels: d.labels });
  }
  if (services.length === 0 && sessions.sessions.length === 0) {
    return {
      outcome: {
        decisions,
        desired: NO_BGP_DESIRED,
        statuses: [],
        peerProblems: sessions.problems,
        unrouted: new Map(),
      },
      routed: new Set(),
    };
  }
  const routes = bgpRoutesFor({ node: self, sessions: sessions.sessions, services, previous });
  const statuses: DesiredBgpStatus[] = [];
  const unrouted = new Map<string, BgpRouteWithdrawReason>();
  const routed = new Set<string>();
  for (const record of records) {
    const d = record.bgpDecision;
    const r = d?.announce ? routes.services.get(d.key) : undefined;
    if (d === undefined || r === undefined) continue;
    if (r.peers.length === 0) {
      if (r.reason !== undefined) unrouted.set(d.key, r.reason);
      continue;
    }
    routed.add(d.key);
    statuses.push(bgpStatusOf(record, d, self, r.peers));
  }
  return {
    outcome: { decisions, desired: routes.desired, statuses, peerProblems: sessions.problems, unrouted },
    routed,
  };
}

export function reconcileSpeaker(
  inputs: SpeakerInputs,
  state: SpeakerState,
  options: SpeakerOptions,
): SpeakerOutcome {
  const self = inputs.nodeName;
  // The inputs carry every kind a configuration is made of, Nodes included (nodeSelectors).
  const configMemo = parseConfigMemo(inputs, state.memo?.config);
  const parsed = configMemo.result;

  const records = recordsOf(inputs.services);
  const requests = records.map((record) => record.request);
  const configErrors = parsed.ok ? [] : parsed.errors;
  const orphaned = parsed.ok ? orphanedAnnouncements(requests, state.announced, parsed.config) : [];
  const accepted = parsed.ok && orphaned.length === 0;
  const config = accepted ? parsed.config : state.lastGoodConfig;
  const selfNode = inputs.nodes.find((n) => n.metadata?.name === self);
  const bgpSessions =
    config === undefined
      ? { sessions: [], problems: [] }
      : bgpSessionsFor(
          config,
          selfNode === undefined ? { labels: undefined } : nodeFactsOf(selfNode),
          inputs.secrets ?? new Map(),
          {
            metallbNamespace: options.namespace,
          },
        );
  const problems = [
    ...configErrors.map((e) => e.message),
    ...orphaned.map(orphanMessage),
    ...bgpSessions.problems.filter((p) => p.severity === "error").map((p) => p.message),
  ];
  const status = speakerConfigurationStateStatus(problems, options.now, state.configurationState, {
    sessions: inputs.bgpSessions ?? [],
    // A set without this node is a membership not running (no L2Advertisement: a BGP-only
    // speaker runs none) or still warming up: nothing to report, rather than hearing nobody.
    members: inputs.members?.includes(inputs.nodeName) ? inputs.members : undefined,
    interfaces: inputs.localInterfaces,
    ...(inputs.segments === undefined ? {} : { segments: inputs.segments }),
  });

  // Serving endpoints are computed per Service, when its decision is computed (not reused).
  const slices = new SlicesByService(inputs.endpointSlices);
  const view = announceViewOf({
    self,
    config,
    nodes: inputs.nodes,
    members: inputs.members,
    segments: inputs.segments,
    endpointSlices: inputs.endpointSlices,
    endpoints: { get: (namespace, name) => servingEndpointsOf(slices.of(namespace, name)) },
    loadBalancerClass: options.loadBalancerClass,
    ignoreExcludeLB: options.ignoreExcludeLB,
  });
  const incumbents = options.nonRevertive
    ? incumbentsByIP(requests, state, inputs.serviceL2Statuses ?? [], self)
    : new Map<string, readonly string[]>();
  const base: DecisionBase = {
    config,
    nodes: inputs.nodes,
    members: inputs.members,
    segments: inputs.segments,
    self,
    loadBalancerClass: options.loadBalancerClass,
    ignoreExcludeLB: options.ignoreExcludeLB,
  };
  const bgpConfigured = hasBgpAdvertisements(config);
  // A configuration that advertises over BGP alone decides no Layer 2 (10k withdrawals kept).
  const bgpOnly = bgpConfigured && !hasL2Advertisements(config);
  const decided = decideAll(records, slices, base, !options.nonRevertive, state.memo?.decisions, {
    l2: bgpOnly
      ? undefined
      : (request) => {
          const ip = firstIPOf(request);
          return l2DecisionFor(request, view, ip === undefined ? undefined : incumbents.get(ip));
        },
    bgp: bgpConfigured ? (request) => bgpDecisionFor(request, view) : undefined,
  });
  const { decisions, bgpDecisions, reused } = decided;

  const announced = new Map<string, string>();
  const owners = new Map<string, string>();
  const events: SpeakerEventIntent[] = [];
  for (const [i, decision] of decisions.entries()) {
    const ip = decision.ips[0];
    if (options.nonRevertive && decision.owner !== undefined && ip !== undefined && !owners.has(ip))
      owners.set(ip, decision.owner);
    if (!decision.announce) continue;
    // A reused decision announces what it announced: keep last run's text rather than a new copy.
    const before = state.announced.get(decision.key);
    const print = before !== undefined && reused[i] === 1 ? before : announcedFingerprint(decision);
    announced.set(decision.key, print);
    if (state.announced.get(decision.key) !== print) {
      events.push({
        namespace: decision.namespace,
        name: decision.name,
        uid: decision.uid,
        event: nodeAssigned(self, "layer2"),
      });
    }
  }

  const bgp = bgpOutcomeOf(records, bgpDecisions, config, self, bgpSessions, state.memo?.bgpRoutes);
  // MetalLB's Event says the node announces; a Service that reaches no peer is not announced.
  const announcing = (decision: BgpDecision): decision is BgpAnnounce =>
    decision.announce && bgp.routed.has(decision.key);
  // Last run's map when every entry is the same decision object (the memo's): a run that changes
  // nothing then leaves no new 10k-entry map behind, and two runs' states share one.
  let bgpUnchanged = state.bgpAnnounced !== undefined;
  let bgpCount = 0;
  for (const decision of bgpDecisions) {
    if (!announcing(decision)) continue;
    bgpCount += 1;
    const before = state.bgpAnnounced?.get(decision.key);
    if (before !== decision) bgpUnchanged = false;
    if (!sameAnnouncement(before, decision)) {
      events.push({
        namespace: decision.namespace,
        name: decision.name,
        uid: decision.uid,
        event: nodeAssigned(self, "bgp"),
      });
    }
  }
  const bgpAnnounced: ReadonlyMap<string, BgpAnnounce> =
    bgpUnchanged && state.bgpAnnounced !== undefined && bgpCount === state.bgpAnnounced.size
      ? state.bgpAnnounced
      : new Map(bgpDecisions.filter(announcing).map((decision) => [decision.key, decision]));

  const interfaceCheck = checkInterfaces(
    decisions,
    self,
    inputs.localInterfaces,
    state.announceFailed ?? new Map(),
  );
  events.push(...interfaceCheck.events);

  return {
    state: {
      lastGoodConfig: config,
      announced,
      bgpAnnounced,
      owners,
      configurationState: status,
      announceFailed: interfaceCheck.reported,
      memo: { config: configMemo, decisions: decided.memo, bgpRoutes: bgp.outcome.desired.routes },
    },
    l2: {
      configured: hasL2Advertisements(config),
      entries: l2EntriesOf(decisions),
      decisions,
      statuses: desiredL2Statuses(decisions, self),
    },
    bgp: bgp.outcome,
    events,
    configurationState: {
      name: speakerConfigurationStateName(self),
      labels: speakerConfigurationStateLabels(self),
      status,
    },
    configErrors,
    orphaned,
    configStale: !accepted,
    configLoaded: config !== undefined,
    announcedGauge: { node: self, layer2: decisions, bgp: bgpAnnounced },
  };
}
