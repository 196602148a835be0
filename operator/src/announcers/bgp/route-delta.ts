/**
 * A session's route set as it crosses to the session Worker: the main thread keeps what it last
 * sent and posts only the routes that are new or changed and the prefixes that left; the Worker
 * folds each delta into its copy and hands the whole set to the session (which diffs it again
 * against what the peer holds, rib-out.ts). A reconcile that changes one Service among 10k thus
 * copies one route between threads, not 10k.
 */
import type { BgpRoute } from "../../domain/bgp/types.ts";
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

/** The routes last sent, by prefix; `delta` returns the next set with what changed. */
export class RouteSender {
  private last: readonly BgpRoute[] | undefined;
  private sent = new Map<string, BgpRoute>();

  /** undefined when nothing changed (the same array, or equal routes). */
  delta(routes: readonly BgpRoute[]): RouteDelta | undefined {
    if (routes === this.last) return undefined;
    this.last = routes;
    const next = new Map<string, BgpRoute>();
    const upsert: BgpRoute[] = [];
    for (const route of routes) {
      next.set(route.prefix, route);
      const previous = this.sent.get(route.prefix);
      if (previous === undefined || !sameRoute(previous, route)) upsert.push(route);
    }
    const remove: string[] = [];
    for (const prefix of this.sent.keys()) if (!next.has(prefix)) remove.push(prefix);
    this.sent = next;
    return upsert.length + remove.length === 0 ? undefined : { upsert, remove };
  }
}

/** The Worker's copy of one session's routes. */
export class RouteReceiver {
  private readonly routes = new Map<string, BgpRoute>();

  /** Applies a delta; returns the whole set. */
  apply(delta: RouteDelta): BgpRoute[] {
    for (const prefix of delta.remove) this.routes.delete(prefix);
    for (const route of delta.upsert) this.routes.set(route.prefix, route);
    return [...this.routes.values()];
  }
}
