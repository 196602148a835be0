/**
 * What the controller has decided but may not see yet. A status write takes a round trip before the
 * watch shows it; a reconcile in between would otherwise see the Service without its new IP and
 * allocate again (and hand the same "free" address to the next Service). So the controller's own
 * last decision stands in for the observed assignment until the observed one matches it, the
 * Service goes away, or it is replaced by a new object with another uid.
 */

import type { ServiceWrite } from "../allocator/decision.ts";
import type { CurrentAssignment } from "../allocator/request.ts";

export interface ExpectedAssignment {
  readonly uid: string;
  readonly write: ServiceWrite;
}

export type ExpectedAssignments = ReadonlyMap<string, ExpectedAssignment>;

/** True when the Service already carries exactly what `write` asks for. */
export function observedMatches(current: CurrentAssignment, write: ServiceWrite): boolean {
  return (
    current.ingressPlain &&
    current.ingressCount === write.ingressIPs.length &&
    current.ingressIPs.every((ip, i) => ip === write.ingressIPs[i]) &&
    current.allocatedFromPool === write.allocatedFromPool &&
    !current.legacyAllocatedFromPool
  );
}

/** The assignment the allocator should start from: ours while it is still in flight, else the observed one. */
export function effectiveAssignment(
  observed: CurrentAssignment,
  expected: ExpectedAssignment | undefined,
  uid: string,
): CurrentAssignment {
  if (expected === undefined || expected.uid !== uid || observedMatches(observed, expected.write))
    return observed;
  return {
    ingressIPs: expected.write.ingressIPs,
    ingressCount: expected.write.ingressIPs.length,
    ingressPlain: true,
    allocatedFromPool: expected.write.allocatedFromPool,
    legacyAllocatedFromPool: false,
  };
}
