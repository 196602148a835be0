/**
 * Which Services changed verdict between two runs, per protocol: MetalLB logs `serviceAnnounced`
 * when a protocol starts announcing a Service and `serviceWithdrawn` with the reason when it
 * stops; metalbun also logs a withdrawn Service whose reason changed, so every reason a user
 * could ask about is visible once, when it appears. Both lists are in key order (the reconciler's
 * order), so one merge walk finds the changes; a reused decision (the same object) costs nothing.
 */
import type { BgpDecision } from "../announce/bgp-decision.ts";
import type { L2Decision } from "../announce/l2-decision.ts";

type Decision = L2Decision | BgpDecision;

export interface DecisionChange {
  readonly protocol: Decision["protocol"];
  readonly key: string;
  readonly change: "serviceAnnounced" | "serviceWithdrawn";
  /** The withdrawal's reason ("serviceWithdrawn"), or undefined. */
  readonly reason: string | undefined;
  /** The IPs concerned. */
  readonly ips: readonly string[];
}

const verdict = (d: Decision): string => (d.announce ? "announce" : d.reason);

export function decisionChanges(before: readonly Decision[], after: readonly Decision[]): DecisionChange[] {
  const changes: DecisionChange[] = [];
  let i = 0;
  for (const current of after) {
    while (i < before.length && before[i]!.key < current.key) i++;
    const previous = before[i]?.key === current.key ? before[i] : undefined;
    if (previous === current) continue;
    // A Service seen for the first time is logged only when it is announced: a new cluster's 10k
    // Services of another protocol's pools are not news.
    if (previous === undefined && !current.announce) continue;
    if (previous !== undefined && verdict(previous) === verdict(current)) continue;
    changes.push({
      protocol: current.protocol,
      key: current.key,
      change: current.announce ? "serviceAnnounced" : "serviceWithdrawn",
      reason: current.announce ? undefined : current.reason,
      ips: current.ips,
    });
  }
  return changes;
}
