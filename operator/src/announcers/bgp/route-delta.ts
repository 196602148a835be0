/**
 * A session's route set as it crosses to the session Worker: the main thread keeps the list it
 * last sent and posts only the routes that are new or changed and the prefixes that left; the
 * Worker folds each delta into the session's Adj-RIB-Out (rib-out.ts), which diffs it again against
 * what the peer holds. A reconcile that changes one Service among 10k thus copies one route between
 * threads, not 10k.
 *
 * The reconciler's lists are in prefix order, so the last list itself is what is kept: the two are
 * walked side by side. A list out of order (never from the reconciler) is diffed through a map.
 */

import type { BgpRoute } from "../../domain/bgp/types.ts";
import { byCodeUnits } from "../../domain/code-unit-order.ts";
import { attributesKey } from "./rib-out.ts";

export interface RouteDelta {
  /** New routes, and routes whose family or attributes changed. */
  readonly upsert: readonly BgpRoute[];
  /** Prefixes no longer wanted. */
  readonly remove: readonly string[];
}

function sameRoute(a: BgpRoute, b: BgpRoute): boolean {
  return a === b || (a.family === b.family && attributesKey(a) === attributesKey(b));
}

/** Strictly ascending prefixes: one route per prefix, in the order a side-by-side walk needs. */
function inPrefixOrder(routes: readonly BgpRoute[]): boolean {
  for (let i = 1; i < routes.length; i++) {
    if (byCodeUnits((routes[i - 1] as BgpRoute).prefix, (routes[i] as BgpRoute).prefix) >= 0) return false;
  }
  return true;
}

function walkedDelta(before: readonly BgpRoute[], after: readonly BgpRoute[]): RouteDelta {
  const upsert: BgpRoute[] = [];
  const remove: string[] = [];
  let i = 0;
  let j = 0;
  while (i < before.length || j < after.length) {
    const old = before[i];
    const next = after[j];
    const order = old === undefined ? 1 : next === undefined ? -1 : byCodeUnits(old.prefix, next.prefix);
    if (order < 0) {
      remove.push((old as BgpRoute).prefix);
      i++;
    } else if (order > 0) {
      upsert.push(next as BgpRoute);
      j++;
    } else {
      if (!sameRoute(old as BgpRoute, next as BgpRoute)) upsert.push(next as BgpRoute);
      i++;
      j++;
    }
  }
  return { upsert, remove };
}

function mappedDelta(before: readonly BgpRoute[], after: readonly BgpRoute[]): RouteDelta {
  const sent = new Map(before.map((r) => [r.prefix, r]));
  const next = new Map(after.map((r) => [r.prefix, r]));
  const upsert: BgpRoute[] = [];
  for (const route of next.values()) {
    const previous = sent.get(route.prefix);
    if (previous === undefined || !sameRoute(previous, route)) upsert.push(route);
  }
  const remove = [...sent.keys()].filter((prefix) => !next.has(prefix));
  return { upsert, remove };
}

/** The list last sent; `delta` returns what changed in the next one. */
export class RouteSender {
  private last: readonly BgpRoute[] = [];
  private lastOrdered = true;

  /** undefined when nothing changed (the same array, or equal routes). */
  delta(routes: readonly BgpRoute[]): RouteDelta | undefined {
    if (routes === this.last) return undefined;
    const ordered = inPrefixOrder(routes);
    const delta =
      ordered && this.lastOrdered ? walkedDelta(this.last, routes) : mappedDelta(this.last, routes);
    this.last = routes;
    this.lastOrdered = ordered;
    return delta.upsert.length + delta.remove.length === 0 ? undefined : delta;
  }
}
