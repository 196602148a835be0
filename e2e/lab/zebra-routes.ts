/**
 * What `vtysh -c 'show ip route'` says, read from its JSON (FRR 8.4): for each prefix, the next
 * hops of the selected route that zebra installed in the kernel (`fib`). That is the router's own
 * view between the BGP RIB (`show bgp ipv4 unicast`) and the kernel (`ip route`).
 */

interface ZebraNexthopJson {
  ip?: string;
  fib?: boolean;
}

interface ZebraRouteJson {
  protocol?: string;
  selected?: boolean;
  nexthops?: ZebraNexthopJson[];
}

export interface ZebraRoute {
  readonly protocol: string;
  /** Installed next hops, sorted. */
  readonly nexthops: readonly string[];
}

/** `show ip route json`: prefix -> its selected route; prefixes with none selected are left out. */
export function parseZebraRoutes(json: string): Map<string, ZebraRoute> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    return new Map();
  }
  const routes = new Map<string, ZebraRoute>();
  if (typeof parsed !== "object" || parsed === null) return routes;
  for (const [prefix, entries] of Object.entries(parsed as Record<string, unknown>)) {
    if (!Array.isArray(entries)) continue;
    const selected = (entries as ZebraRouteJson[]).find((e) => e?.selected === true);
    if (!selected) continue;
    const nexthops = (selected.nexthops ?? [])
      .filter((n) => n.fib === true && n.ip)
      .map((n) => n.ip as string);
    routes.set(prefix, { protocol: selected.protocol ?? "", nexthops: [...new Set(nexthops)].sort() });
  }
  return routes;
}
