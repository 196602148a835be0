/**
 * Who announces an IP. MetalLB is revertive: the best-ranked candidate always wins, so a node
 * that comes back takes its IPs back (the seed's failback, step 9). Non-revertive mode (opt-in)
 * keeps an IP on its current owner for as long as that node stays a candidate, so a recovering
 * node does not cause a second move; it is consistent across speakers only while they agree on
 * the current owner (same history, or the ServiceL2Status objects after a restart).
 */
import type { L2Candidates } from "./candidates.ts";

/**
 * The owner: the best-ranked of `currentOwner` (one node, or several when the caller is unsure)
 * that is still a candidate, else the best-ranked candidate; undefined when there is none.
 * Pass no currentOwner for MetalLB's revertive behaviour.
 */
export function l2OwnerFor(
  candidates: L2Candidates,
  currentOwner?: string | readonly string[],
): string | undefined {
  const current =
    currentOwner === undefined ? [] : typeof currentOwner === "string" ? [currentOwner] : currentOwner;
  if (current.length > 0) {
    const incumbent = candidates.ranked.find((c) => current.includes(c.node));
    if (incumbent !== undefined) return incumbent.node;
  }
  return candidates.ranked[0]?.node;
}
