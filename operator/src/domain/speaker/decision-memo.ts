/**
 * What keeps a speaker's reconcile cheap at 10k Services: last run's request and decision per
 * Service, reused when nothing it depends on changed. A decision depends on the Service object,
 * the Service's EndpointSlices, and the "base": the configuration in use, the Node objects, the
 * live members, this node's name and the options. The store keeps unchanged objects' identity, so
 * "unchanged" is identity: the same Service object, the same slices in the same order, and a base
 * whose parts are the same objects. Any change of the base decides every Service again.
 * Non-revertive mode reads who announces now (state and ServiceL2Status), so it never reuses.
 * Never changes an outcome: a state without the memo reconciles to the same result, only slower
 * (memo.test.ts checks it over random histories).
 */
import type { BgpDecision } from "../announce/bgp-decision.ts";
import type { L2Decision } from "../announce/l2-decision.ts";
import { type AnnounceRequest, announceRequestOf } from "../announce/request.ts";
import type { Node, Service } from "../api/core.ts";
import { sameElements } from "../config/config-memo.ts";
import type { Config } from "../config/types.ts";
import type { MemberSegment } from "../election/segments.ts";
import {
  NO_SLICES,
  type ServiceSlices,
  type SlicesByService,
  sameSlices,
} from "../election/serving-endpoints.ts";
import type { DesiredBgpStatus } from "./desired.ts";

export interface DecisionBase {
  readonly config: Config | undefined;
  readonly nodes: readonly Node[];
  readonly members: readonly string[] | undefined;
  readonly segments: readonly MemberSegment[] | undefined;
  readonly self: string;
  readonly loadBalancerClass: string;
  readonly ignoreExcludeLB: boolean;
}

/**
 * A Service's request, with the last decision made for it and what that decision read: one object
 * per Service for as long as its request lives (the speaker's store keeps only the request, and
 * keeps an unchanged one's identity), so a run reads only the Services that changed and allocates
 * nothing for the others. The record is updated in place when its Service is decided again:
 * allocating fresh entries on every run interleaves what the speaker keeps with each run's
 * garbage, and the heap (which never moves objects) ends up twice the size of what is live.
 */
export interface ServiceRecord {
  /** The request itself when the input was one (the speaker's store); made once from a Service. */
  readonly request: AnnounceRequest;
  /** The Service's slices when it was last decided. */
  slices: ServiceSlices;
  decision: L2Decision | undefined;
  /** Its BGP decision; undefined when BGP was not decided (no BGPAdvertisement in the config). */
  bgpDecision: BgpDecision | undefined;
  /**
   * The ServiceBGPStatus last wanted for that decision (reconcile.ts), kept with it rather than in
   * a table of its own; cleared when the Service is decided again.
   */
  bgpStatus: DesiredBgpStatus | undefined;
  /** The base it was decided under; undefined: not reusable (non-revertive mode). */
  decidedUnder: DecisionBase | undefined;
}

/** What a run hands to the next: the base its decisions were made under. */
export interface DecisionMemo {
  readonly base: DecisionBase | undefined;
}

function sameSegments(
  a: readonly MemberSegment[] | undefined,
  b: readonly MemberSegment[] | undefined,
): boolean {
  if (a === b) return true;
  if ((a?.length ?? 0) !== (b?.length ?? 0)) return false;
  return (a ?? []).every((s, i) => {
    const t = b![i]!;
    return (
      s.ifname === t.ifname && sameElements(s.prefixes, t.prefixes) && sameElements(s.members, t.members)
    );
  });
}

function sameBase(a: DecisionBase | undefined, b: DecisionBase): boolean {
  return (
    a !== undefined &&
    a.config === b.config &&
    a.self === b.self &&
    a.loadBalancerClass === b.loadBalancerClass &&
    a.ignoreExcludeLB === b.ignoreExcludeLB &&
    sameElements(a.nodes, b.nodes) &&
    sameElements(a.members, b.members) &&
    sameSegments(a.segments, b.segments)
  );
}

/**
 * Per Service object, its record. A cache of pure functions: a record is reused only under the
 * very base object it was decided under (the one a run's memo hands to the next), with the same
 * slices, so it never changes an outcome (memo.test.ts), even when several speakers' runs share
 * Service objects (tests do).
 */
const records = new WeakMap<Service | AnnounceRequest, ServiceRecord>();

/** A request is what the speaker's store keeps of a Service; anything else is the Service itself. */
function isRequest(service: Service | AnnounceRequest): service is AnnounceRequest {
  return typeof (service as AnnounceRequest).key === "string" && "isLoadBalancer" in service;
}

function recordOf(service: Service | AnnounceRequest): ServiceRecord {
  let record = records.get(service);
  if (record === undefined) {
    record = {
      request: isRequest(service) ? service : announceRequestOf(service),
      slices: NO_SLICES,
      decision: undefined,
      bgpDecision: undefined,
      bgpStatus: undefined,
      decidedUnder: undefined,
    };
    records.set(service, record);
  }
  return record;
}

const byKey = (a: ServiceRecord, b: ServiceRecord) =>
  a.request.key < b.request.key ? -1 : a.request.key > b.request.key ? 1 : 0;

/** Every Service's record, sorted by key; an unchanged object's is reused. */
export function recordsOf(services: readonly (Service | AnnounceRequest)[]): ServiceRecord[] {
  return services.map(recordOf).sort(byKey);
}

/**
 * One decider per protocol: BGP's only when the configuration has BGP advertisements, Layer 2's
 * unless the configuration advertises over BGP alone (MetalLB asks a protocol about a Service only
 * when an advertisement of that protocol covers its pool).
 */
export interface Deciders {
  readonly l2: ((request: AnnounceRequest) => L2Decision) | undefined;
  readonly bgp: ((request: AnnounceRequest) => BgpDecision) | undefined;
}

export interface DecidedAll {
  /** Layer 2, one per request, in their order; empty when Layer 2 was not decided. */
  readonly decisions: L2Decision[];
  /** BGP, one per request in their order; empty when BGP was not decided. */
  readonly bgpDecisions: BgpDecision[];
  /** `reused[i]`: request i's decisions are last run's. */
  readonly reused: Uint8Array;
  readonly memo: DecisionMemo;
}

/**
 * Every protocol's decision per request (in their order), reusing last run's where allowed, and
 * the memo for the next run.
 */
export function decideAll(
  records: readonly ServiceRecord[],
  slices: SlicesByService,
  base: DecisionBase,
  reuse: boolean,
  memo: DecisionMemo | undefined,
  deciders: Deciders,
): DecidedAll {
  // An equal base is last run's base object itself: records decided under it stay reusable.
  const current = memo?.base !== undefined && sameBase(memo.base, base) ? memo.base : base;
  const reused = new Uint8Array(records.length);
  const decisions: L2Decision[] = [];
  const bgpDecisions: BgpDecision[] = [];
  for (const [i, record] of records.entries()) {
    const { request } = record;
    const own = slices.of(request.namespace, request.name);
    if (
      reuse &&
      record.decidedUnder === current &&
      sameSlices(record.slices, own) &&
      (deciders.l2 === undefined) === (record.decision === undefined) &&
      (deciders.bgp === undefined) === (record.bgpDecision === undefined)
    ) {
      reused[i] = 1;
    } else {
      record.slices = own;
      record.decision = deciders.l2?.(request);
      record.bgpDecision = deciders.bgp?.(request);
      record.bgpStatus = undefined;
      record.decidedUnder = reuse ? current : undefined;
    }
    if (record.decision !== undefined) decisions.push(record.decision);
    if (record.bgpDecision !== undefined) bgpDecisions.push(record.bgpDecision);
  }
  return { decisions, bgpDecisions, reused, memo: { base: current } };
}
