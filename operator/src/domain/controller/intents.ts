/**
 * What one decision asks of the cluster: the write that brings the Service to it (kept as the
 * expected assignment until the watch shows it) and its Events (reported once while they last).
 * Shared by the full and the incremental allocation so both record decisions the same way.
 */
import type { ServiceDecision, ServiceWrite } from "../allocator/decision.ts";
import type { ServiceEvent } from "../allocator/events.ts";
import type { CurrentAssignment } from "../allocator/request.ts";
import { type ExpectedAssignment, observedMatches } from "./expected.ts";

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

/** The per-Service outputs of a reconcile, keyed by `namespace/name`. */
export interface Intents {
  readonly writes: Map<string, PendingWrite>;
  readonly expected: Map<string, ExpectedAssignment>;
  /** Fingerprint of the events last emitted per Service, so a lasting failure is reported once. */
  readonly lastEvents: Map<string, string>;
  readonly events: EventIntent[];
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

/**
 * Adds what `decision` asks for to `into`. `observed` is what the Service really carries (not
 * the expected assignment), `reported` the fingerprints of the previous reconcile.
 */
export function recordDecision(
  into: Intents,
  decision: ServiceDecision,
  ref: ServiceRef,
  observed: CurrentAssignment,
  reported: ReadonlyMap<string, string>,
): void {
  const want = desiredWrite(decision);
  if (want !== undefined && !observedMatches(observed, want)) {
    into.writes.set(decision.key, { ...ref, write: want });
    into.expected.set(decision.key, { uid: ref.uid, write: want });
  }
  if (decision.events.length > 0) {
    const print = fingerprint(ref.uid, decision.events);
    into.lastEvents.set(decision.key, print);
    if (reported.get(decision.key) !== print) {
      for (const event of decision.events) into.events.push({ ...ref, event });
    }
  }
}
