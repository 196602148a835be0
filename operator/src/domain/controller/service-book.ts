/**
 * The allocation step of the controller's reconcile, incremental when it can be.
 *
 * A full plan over 10k Services costs tens of milliseconds, yet between two snapshots usually one
 * Service changed. The book keeps, between reconciles, every Service's object, request and
 * decision, and the ledger of the addresses they hold. With the same Config and --lb-class, only
 * the "dirty" Services are planned again, onto the ledger holding everyone else's addresses:
 * - Services whose object changed (the store keeps unchanged objects' identity), new or gone;
 * - Services whose last decision was not at rest: it asked for a write or had events (just
 *   allocated, in flight, failing, waiting for an IP, ...). A Service at rest is one that holds
 *   its IPs with nothing to say; planned again, it decides the same, and it takes part in no
 *   step after "settle the holders" (see allocationPlan), whose outcome depends only on the
 *   addresses it holds.
 * The ledger answers from the set of reservations, whatever their order, so the dirty Services,
 * planned in the plan's own order, decide what a full plan would, as long as none of them holds
 * an address a Service at rest also holds (who keeps a shared address depends on the order):
 * then, and on duplicate keys, the full plan runs. The property test in
 * incremental.test.ts compares both after every step of random histories.
 *
 * The book is mutable and belongs to the newest state only: each state carries the version it
 * saw, and an older state (reconciled again, as tests do) finds another version and plans fully.
 */

import { type Claims, claimToRecord } from "../allocator/claim.ts";
import type { PoolCounters, ServiceDecision } from "../allocator/decision.ts";
import { Ledger } from "../allocator/ledger.ts";
import { planOnto, poolCountersOf } from "../allocator/plan.ts";
import { type AllocationRequest, allocationRequestOf, type CurrentAssignment } from "../allocator/request.ts";
import { type Service, serviceKey } from "../api/core.ts";
import { byCodeUnits } from "../code-unit-order.ts";
import type { Config } from "../config/types.ts";
import { parseIP } from "../ip/address.ts";
import { type ExpectedAssignment, effectiveAssignment } from "./expected.ts";
import type { ServiceIndex } from "./inputs.ts";
import { type Intents, type PendingWrite, recordDecision, type ServiceRef } from "./intents.ts";

interface Entry {
  readonly service: Service;
  /** What the Service carries (the observed assignment, not the expected one). */
  readonly request: AllocationRequest;
  readonly ref: ServiceRef;
  readonly decision: ServiceDecision;
  /** The reconcile that last saw this key (finds duplicates and vanished Services in one pass). */
  seen: number;
}

class ServiceBook {
  version = 0;
  run = 0;
  constructor(
    readonly config: Config,
    readonly lbClass: string,
    readonly ledger: Ledger,
    readonly entries: Map<string, Entry>,
    /** Keys in decision order (sorted), and the decisions in that order (the last outcome's). */
    public keys: string[],
    public decisions: readonly ServiceDecision[],
    /** Keys whose decision is not at rest: planned again on every reconcile. */
    readonly unsettled: Set<string>,
    public writes: ReadonlyMap<string, PendingWrite>,
    /** The `serviceIndex.byKey` of the input last planned, if it came with one. */
    public byKey: ReadonlyMap<string, Service> | undefined,
  ) {}
}

/** The book and the version of it a state saw. */
export interface BookRef {
  readonly book: ServiceBook;
  readonly version: number;
}

export interface AllocationStep extends Intents {
  readonly claims: Claims;
  readonly decisions: readonly ServiceDecision[];
  readonly pools: ReadonlyMap<string, PoolCounters>;
  readonly book: BookRef | undefined;
}

/** What the previous reconcile left (the state's maps). */
export interface Previous {
  readonly expected: ReadonlyMap<string, ExpectedAssignment>;
  readonly lastEvents: ReadonlyMap<string, string>;
  readonly claims: Claims | undefined;
  readonly book: BookRef | undefined;
}

function keyOf(service: Service): string {
  return serviceKey(service.metadata?.namespace ?? "", service.metadata?.name ?? "");
}

interface Observed {
  readonly service: Service;
  readonly request: AllocationRequest;
  readonly ref: ServiceRef;
  /** The request as planned (its current assignment possibly the expected one). */
  readonly start: AllocationRequest;
}

/**
 * A decision at rest: planned again with the same object, it would be the same. It has no events
 * (failures repeat until they pass, and may pass when others change), and the next reconcile
 * starts from the same assignment: a Service whose write is in flight starts from the expected
 * assignment again, and keeps asking for the same write until the object changes (the write
 * landed, or someone else changed it), which makes it dirty. Not replanning those is what keeps
 * a cold start's reconciles small while thousands of writes are in flight.
 */
function atRest(decision: ServiceDecision, o: Observed, expected: ReadonlyMap<string, ExpectedAssignment>) {
  if (decision.events.length > 0) return false;
  const next = effectiveAssignment(o.request.current, expected.get(decision.key), o.ref.uid);
  return sameAssignment(next, o.start.current);
}

function sameAssignment(a: CurrentAssignment, b: CurrentAssignment): boolean {
  return (
    a === b ||
    (a.ingressCount === b.ingressCount &&
      a.ingressPlain === b.ingressPlain &&
      a.allocatedFromPool === b.allocatedFromPool &&
      a.legacyAllocatedFromPool === b.legacyAllocatedFromPool &&
      a.ingressIPs.length === b.ingressIPs.length &&
      a.ingressIPs.every((ip, i) => ip === b.ingressIPs[i]))
  );
}

/** The request the allocator starts from: ours while our write is in flight, else the observed one. */
function planned(request: AllocationRequest, uid: string, previous: Previous): AllocationRequest {
  const current = effectiveAssignment(request.current, previous.expected.get(request.key), uid);
  return current === request.current ? request : { ...request, current };
}

function refOf(request: AllocationRequest, service: Service): ServiceRef {
  return { namespace: request.namespace, name: request.name, uid: service.metadata?.uid ?? "" };
}

/**
 * `source.services` is read only when the step needs every Service (a full plan, or no index to
 * say what changed): the caller may build that array on demand, an O(n) copy an incremental step
 * does not need.
 */
export function allocationStep(
  source: { readonly services: readonly Service[] },
  index: ServiceIndex | undefined,
  config: Config,
  lbClass: string,
  previous: Previous,
): AllocationStep {
  const ref = previous.book;
  if (ref !== undefined && ref.book.version === ref.version) {
    const { book } = ref;
    book.version++; // from here on the book is this reconcile's, whatever happens
    if (book.config === config && book.lbClass === lbClass) {
      const step = incremental(book, source, index, previous);
      if (step !== undefined) return step;
    }
  }
  return full(source.services, index, config, lbClass, previous);
}

/** Every Service planned from scratch; requests of unchanged objects are reused from the book. */
function full(
  services: readonly Service[],
  index: ServiceIndex | undefined,
  config: Config,
  lbClass: string,
  previous: Previous,
): AllocationStep {
  const known = previous.book?.book.entries;
  const observed = new Map<string, Observed>();
  const requests: AllocationRequest[] = [];
  for (const service of services) {
    const old = known?.get(keyOf(service));
    const request = old?.service === service ? old.request : allocationRequestOf(service);
    const ref = refOf(request, service);
    const start = planned(request, ref.uid, previous);
    observed.set(request.key, { service, request, ref, start }); // the last copy of a key names it
    requests.push(start);
  }
  const ledger = new Ledger();
  const decisions = planOnto(config, ledger, requests, {
    loadBalancerClass: lbClass,
    claims: previous.claims,
  });
  const into: Intents = { writes: new Map(), expected: new Map(), lastEvents: new Map(), events: [] };
  const claims = new Map<string, string>();
  const entries = new Map<string, Entry>();
  const unsettled = new Set<string>();
  for (const decision of decisions) {
    const o = observed.get(decision.key)!;
    recordDecision(into, decision, o.ref, o.request.current, previous.lastEvents);
    recordClaim(claims, o.request, decision);
    entries.set(decision.key, { service: o.service, request: o.request, ref: o.ref, decision, seen: 0 });
    if (!atRest(decision, o, into.expected)) unsettled.add(decision.key);
  }
  const pools = poolCountersOf(config, ledger);
  // Two objects with one key: which one the plan used depends on input order; keep no book.
  if (decisions.length !== services.length) return { ...into, claims, decisions, pools, book: undefined };
  const keys = decisions.map((d) => d.key);
  const book = new ServiceBook(
    config,
    lbClass,
    ledger,
    entries,
    keys,
    decisions,
    unsettled,
    into.writes,
    index?.byKey,
  );
  return { ...into, claims, decisions, pools, book: { book, version: book.version } };
}

/** Remembers the claim a Service holds its IPs under, if it shares (allocator/claim.ts). */
function recordClaim(claims: Map<string, string>, request: AllocationRequest, decision: ServiceDecision) {
  const claim = claimToRecord(request, decision.ips);
  if (claim === undefined) claims.delete(decision.key);
  else claims.set(decision.key, claim);
}

interface Dirty {
  /** The changed, new and unsettled Services, by key. */
  readonly dirty: Map<string, Service>;
  readonly added: string[];
  readonly removed: string[];
}

/**
 * Which Services to plan again, from the caller's index when it says what changed since the
 * input this book last planned: only those keys and the unsettled ones are looked at.
 */
function dirtyFromIndex(book: ServiceBook, index: ServiceIndex): Dirty | undefined {
  const { byKey, changed } = index;
  if (changed === undefined || book.byKey === undefined || changed.since !== book.byKey) return undefined;
  const dirty = new Map<string, Service>();
  const added: string[] = [];
  const removed: string[] = [];
  const visit = (key: string) => {
    if (dirty.has(key)) return;
    const service = byKey.get(key);
    const entry = book.entries.get(key);
    if (service === undefined) {
      if (entry !== undefined && !removed.includes(key)) removed.push(key);
      return;
    }
    if (entry === undefined) added.push(key);
    if (entry?.service !== service || book.unsettled.has(key)) dirty.set(key, service);
  };
  for (const key of changed.keys) visit(key);
  for (const key of book.unsettled) visit(key);
  return { dirty, added, removed };
}

/** Which Services to plan again, by comparing every one with the book; undefined on a duplicate key. */
function dirtyByScan(book: ServiceBook, services: readonly Service[], run: number): Dirty | undefined {
  const dirty = new Map<string, Service>();
  const added: string[] = [];
  let seen = 0;
  for (const service of services) {
    const key = keyOf(service);
    const entry = book.entries.get(key);
    if (entry === undefined) {
      if (dirty.has(key)) return undefined; // duplicate key
      dirty.set(key, service);
      added.push(key);
      continue;
    }
    if (entry.seen === run) return undefined; // duplicate key
    entry.seen = run;
    seen++;
    if (entry.service !== service || book.unsettled.has(key)) dirty.set(key, service);
  }
  const removed: string[] = [];
  if (seen !== book.entries.size) {
    for (const [key, entry] of book.entries) if (entry.seen !== run) removed.push(key);
  }
  return { dirty, added, removed };
}

/** Only the dirty Services planned again; undefined when the full plan must decide. */
function incremental(
  book: ServiceBook,
  source: { readonly services: readonly Service[] },
  index: ServiceIndex | undefined,
  previous: Previous,
): AllocationStep | undefined {
  const run = ++book.run;
  const found = (index && dirtyFromIndex(book, index)) ?? dirtyByScan(book, source.services, run);
  if (found === undefined) return undefined;
  const { dirty, added, removed } = found;
  book.byKey = index?.byKey;

  for (const key of removed) book.ledger.release(key);
  for (const key of dirty.keys()) book.ledger.release(key);
  const observed = new Map<string, Observed>();
  const requests: AllocationRequest[] = [];
  for (const [key, service] of dirty) {
    const old = book.entries.get(key);
    const request = old?.service === service ? old.request : allocationRequestOf(service);
    const ref = refOf(request, service);
    const start = planned(request, ref.uid, previous);
    // An address also held by a Service at rest: who keeps it depends on the plan's order.
    for (const ip of start.current.ingressIPs) {
      const address = parseIP(ip);
      if (address !== undefined && book.ledger.isUsed(address)) return undefined;
    }
    observed.set(key, { service, request, ref, start });
    requests.push(start);
  }
  const decided = planOnto(book.config, book.ledger, requests, {
    loadBalancerClass: book.lbClass,
    claims: previous.claims,
  });

  // The dirty Services' writes are recorded apart, then merged with the others' in key order,
  // the order a full reconcile lists them in (the writer queues new keys in that order).
  const into: Intents = {
    writes: new Map(),
    expected: new Map(previous.expected),
    lastEvents: new Map(previous.lastEvents),
    events: [],
  };
  // Copied only when a sharing Service is involved: most reconciles touch none.
  let claims: Map<string, string> | undefined;
  const claimsToChange = () => {
    claims ??= new Map(previous.claims);
    return claims;
  };
  for (const key of [...removed, ...dirty.keys()]) {
    into.expected.delete(key);
    into.lastEvents.delete(key);
    if (previous.claims?.has(key)) claimsToChange().delete(key);
  }
  for (const key of removed) {
    book.entries.delete(key);
    book.unsettled.delete(key);
  }
  for (const decision of decided) {
    const o = observed.get(decision.key)!;
    recordDecision(into, decision, o.ref, o.request.current, previous.lastEvents);
    if (claimToRecord(o.request, decision.ips) !== undefined)
      recordClaim(claimsToChange(), o.request, decision);
    book.entries.set(decision.key, {
      service: o.service,
      request: o.request,
      ref: o.ref,
      decision,
      seen: run,
    });
    if (atRest(decision, o, into.expected)) book.unsettled.delete(decision.key);
    else book.unsettled.add(decision.key);
  }
  inOrder(book, decided, added, removed);
  const writes = mergedInOrder(book.writes, (key) => dirty.has(key) || !book.entries.has(key), into.writes);
  book.writes = writes;
  const pools = poolCountersOf(book.config, book.ledger);
  return {
    ...into,
    writes,
    claims: claims ?? previous.claims ?? new Map(),
    decisions: book.decisions,
    pools,
    book: { book, version: book.version },
  };
}

/**
 * The book's keys and decisions, both sorted by key, after Services came and went and some were
 * planned again: a few keys are spliced in and out, many sorted anew. The decisions array is
 * always a new one (the last outcome handed the old one out).
 */
function inOrder(
  book: ServiceBook,
  decided: readonly ServiceDecision[],
  added: readonly string[],
  removed: readonly string[],
): void {
  if (added.length + removed.length > 64) {
    book.keys = [...book.entries.keys()].sort(byCodeUnits);
    book.decisions = book.keys.map((k) => book.entries.get(k)!.decision);
    return;
  }
  const keys = added.length + removed.length > 0 ? book.keys.slice() : book.keys;
  const decisions = book.decisions.slice();
  for (const key of removed) {
    const i = lowerBound(keys, key);
    if (keys[i] === key) {
      keys.splice(i, 1);
      decisions.splice(i, 1);
    }
  }
  for (const key of added) {
    const i = lowerBound(keys, key);
    keys.splice(i, 0, key);
    decisions.splice(i, 0, book.entries.get(key)!.decision);
  }
  for (const decision of decided) decisions[lowerBound(keys, decision.key)] = decision;
  book.keys = keys;
  book.decisions = decisions;
}

/** `kept` (sorted by key) without the dropped keys, and `fresh` (sorted by key), merged in key order. */
function mergedInOrder<V>(
  kept: ReadonlyMap<string, V>,
  dropped: (key: string) => boolean,
  fresh: ReadonlyMap<string, V>,
): Map<string, V> {
  const out = new Map<string, V>();
  const incoming = [...fresh];
  let i = 0;
  for (const [key, value] of kept) {
    if (dropped(key)) continue;
    for (; i < incoming.length && incoming[i]![0] < key; i++) out.set(incoming[i]![0], incoming[i]![1]);
    out.set(key, value);
  }
  for (; i < incoming.length; i++) out.set(incoming[i]![0], incoming[i]![1]);
  return out;
}

/** The first index whose key is not below `key` (its place, if absent). */
function lowerBound(sorted: readonly string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (sorted[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
