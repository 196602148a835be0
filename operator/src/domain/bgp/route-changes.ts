/**
 * The size of the burst a reconcile hands the BGP sessions: how many routes are new, changed or
 * gone between two runs' per-peer lists, counted per peer. The lists are in prefix order and an
 * unchanged route is last run's object (routes.ts), so a changed list is walked once beside the
 * last one, and an unchanged list (the same array) costs nothing.
 */
import { byCodeUnits } from "../code-unit-order.ts";
import type { BgpRoute } from "./types.ts";

type RoutesByPeer = ReadonlyMap<string, readonly BgpRoute[]>;

const NONE: readonly BgpRoute[] = [];

function changedIn(before: readonly BgpRoute[], after: readonly BgpRoute[]): number {
  if (before === after) return 0;
  let changed = 0;
  let i = 0;
  let j = 0;
  while (i < before.length || j < after.length) {
    const old = before[i];
    const next = after[j];
    // The common case: last run's route object itself, so the same prefix.
    if (old !== undefined && old === next) {
      i++;
      j++;
      continue;
    }
    const order = old === undefined ? 1 : next === undefined ? -1 : byCodeUnits(old.prefix, next.prefix);
    if (order !== 0) changed++;
    else if (old !== next) changed++;
    if (order <= 0) i++;
    if (order >= 0) j++;
  }
  return changed;
}

export function changedRouteCount(before: RoutesByPeer | undefined, after: RoutesByPeer): number {
  if (before === after) return 0;
  let changed = 0;
  for (const [peer, routes] of after) changed += changedIn(before?.get(peer) ?? NONE, routes);
  for (const [peer, routes] of before ?? []) if (!after.has(peer)) changed += routes.length;
  return changed;
}
