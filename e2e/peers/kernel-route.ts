/**
 * What a namespace's kernel would forward to: the next hops of one route from `ip -j route show`,
 * a single `gateway` or the `nexthops` of an ECMP route (zebra installs nexthop objects, and the
 * JSON still lists each path).
 */
import { runOk } from "../net/run.ts";

interface RouteJson {
  dst?: string;
  gateway?: string;
  nexthops?: Array<{ gateway?: string }>;
}

/** Next hops of the routes in `ip -j route show` output, sorted and without duplicates. */
export function parseKernelNexthops(json: string): string[] {
  const routes = JSON.parse(json.trim() === "" ? "[]" : json) as RouteJson[];
  const hops = routes.flatMap((r) =>
    r.nexthops ? r.nexthops.flatMap((n) => (n.gateway ? [n.gateway] : [])) : r.gateway ? [r.gateway] : [],
  );
  return [...new Set(hops)].sort();
}

/** Next hops of the route for exactly this prefix in the namespace (empty when there is none). */
export async function kernelRoute(ns: string, prefix: string): Promise<string[]> {
  const family = prefix.includes(":") ? "-6" : "-4";
  return parseKernelNexthops(await runOk(["ip", "-n", ns, family, "-j", "route", "show", prefix]));
}
