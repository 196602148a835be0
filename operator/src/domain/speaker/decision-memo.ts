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
import type { L2Decision } from "../announce/l2-decision.ts";
import { type AnnounceRequest, announceRequestOf } from "../announce/request.ts";
import type { EndpointSlice, Node, Service } from "../api/core.ts";
import { sameElements } from "../config/config-memo.ts";
import type { Config } from "../config/types.ts";

export interface DecisionBase {
  readonly config: Config | undefined;
  readonly nodes: readonly Node[];
  readonly members: readonly string[] | undefined;
  readonly self: string;
  readonly loadBalancerClass: string;
  readonly ignoreExcludeLB: boolean;
}

interface Entry {
  readonly service: Service;
  readonly request: AnnounceRequest;
  readonly slices: readonly EndpointSlice[];
  readonly decision: L2Decision | undefined;
}

export interface DecisionMemo {
  readonly base: DecisionBase | undefined;
  readonly entries: ReadonlyMap<string, Entry>;
}

const NO_SLICES: readonly EndpointSlice[] = [];

function sameBase(a: DecisionBase | undefined, b: DecisionBase): boolean {
  return (
    a !== undefined &&
    a.config === b.config &&
    a.self === b.self &&
    a.loadBalancerClass === b.loadBalancerClass &&
    a.ignoreExcludeLB === b.ignoreExcludeLB &&
    sameElements(a.nodes, b.nodes) &&
    sameElements(a.members, b.members)
  );
}

/**
 * Each Service object's request, for as long as the object lives: the stores keep an unchanged
 * object's identity, so a run reads only the Services that changed, and allocates nothing (not
 * even the key) for the others. A cache of a pure function: it never changes an outcome.
 */
const requestByService = new WeakMap<Service, AnnounceRequest>();

const byKey = (a: AnnounceRequest, b: AnnounceRequest) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/** The Services by key, and every Service's request sorted by key (an unchanged object's is reused). */
export function requestsOf(services: readonly Service[]): {
  requests: AnnounceRequest[];
  serviceByKey: Map<string, Service>;
} {
  const serviceByKey = new Map<string, Service>();
  const requests = services.map((service) => {
    let request = requestByService.get(service);
    if (request === undefined) {
      request = announceRequestOf(service);
      requestByService.set(service, request);
    }
    serviceByKey.set(request.key, service);
    return request;
  });
  return { requests: requests.sort(byKey), serviceByKey };
}

export type Decider = (request: AnnounceRequest) => L2Decision;

/**
 * One decision per request (in their order), reusing last run's where allowed, and the memo
 * for the next run. `serviceByKey` maps request keys to their Service objects (requestsOf).
 */
export function decideAll(
  requests: readonly AnnounceRequest[],
  serviceByKey: ReadonlyMap<string, Service>,
  slices: ReadonlyMap<string, readonly EndpointSlice[]>,
  base: DecisionBase,
  reuse: boolean,
  memo: DecisionMemo | undefined,
  decide: Decider,
): { decisions: L2Decision[]; memo: DecisionMemo } {
  const usable = reuse && sameBase(memo?.base, base);
  const entries = new Map<string, Entry>();
  const decisions = requests.map((request) => {
    const service = serviceByKey.get(request.key);
    const own = slices.get(request.key) ?? NO_SLICES;
    const old = usable ? memo?.entries.get(request.key) : undefined;
    if (
      old !== undefined &&
      old.decision !== undefined &&
      old.service === service &&
      old.request === request &&
      sameElements(old.slices, own)
    ) {
      // Unchanged: keep last run's entry itself. Allocating a fresh one per Service on every run
      // (10k per reconcile) interleaves what the speaker keeps with each run's garbage, and the
      // heap (which never moves objects) ends up twice the size of what is live.
      entries.set(request.key, old);
      return old.decision;
    }
    const decision = decide(request);
    if (service !== undefined) entries.set(request.key, { service, request, slices: own, decision });
    return decision;
  });
  return { decisions, memo: { base, entries } };
}
