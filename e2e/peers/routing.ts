/**
 * The routing around the testbed's router: forwarding and ECMP hashing inside the router's
 * namespace, and the client's route to the LoadBalancer pools through the router. Every change is
 * made inside a testbed namespace (`ip -n`, `ip netns exec ... sysctl`), never in the machine's own.
 */
import { inNamespace } from "../net/exec.ts";
import { run, runOk } from "../net/run.ts";
import { CLIENT, ROUTER } from "../net/topology.ts";

/** The lab's IPv4 pool (e2e/lab/seed/ippool.yaml: 172.18.255.200-250) as one prefix. */
export const POOL_V4 = "172.18.255.0/24";
/** The IPv6 pool next to the segment's fc00:f853:ccd:e793::/64, as the lab's kind seed would use. */
export const POOL_V6 = "fc00:f853:ccd:e799::/64";

async function sysctls(ns: string, settings: ReadonlyArray<readonly [string, string]>): Promise<void> {
  for (const [key, value] of settings) await runOk(inNamespace(ns, ["sysctl", "-qw", `${key}=${value}`]));
}

/**
 * Makes a namespace a router: forwarding on, and ECMP hashed on the 5-tuple (policy 1) rather than
 * on addresses only (0), so one client's connections from many source ports spread over the nodes.
 * No ICMP redirects: the client shares the segment with the nodes, and a redirect would pin every
 * later flow to the VIP on the one node the first flow hashed to (RFC 1812 §5.2.7.2).
 */
export async function enableForwarding(ns: string, ifname = ROUTER.ifname): Promise<void> {
  await sysctls(ns, [
    ["net.ipv4.ip_forward", "1"],
    ["net.ipv6.conf.all.forwarding", "1"],
    ["net.ipv4.fib_multipath_hash_policy", "1"],
    ["net.ipv6.fib_multipath_hash_policy", "1"],
    ["net.ipv4.conf.all.send_redirects", "0"],
    [`net.ipv4.conf.${ifname}.send_redirects`, "0"],
  ]);
}

export interface ClientRouteOptions {
  readonly client?: string;
  readonly viaV4?: string;
  readonly viaV6?: string;
  readonly poolV4?: string;
  readonly poolV6?: string;
}

function resolved(opts: ClientRouteOptions) {
  return {
    client: opts.client ?? CLIENT.name,
    routes: [
      { prefix: opts.poolV4 ?? POOL_V4, via: opts.viaV4 ?? ROUTER.ipv4 },
      { prefix: opts.poolV6 ?? POOL_V6, via: opts.viaV6 ?? ROUTER.ipv6 },
    ],
  };
}

/**
 * The client reaches the pools through the router (idempotent: `ip route replace`). It ignores
 * redirects too: Linux has no switch to stop IPv6 routers sending them.
 */
export async function addClientPoolRoutes(opts: ClientRouteOptions = {}): Promise<void> {
  const { client, routes } = resolved(opts);
  await sysctls(client, [
    ["net.ipv4.conf.all.accept_redirects", "0"],
    [`net.ipv4.conf.${CLIENT.ifname}.accept_redirects`, "0"],
    ["net.ipv6.conf.all.accept_redirects", "0"],
    [`net.ipv6.conf.${CLIENT.ifname}.accept_redirects`, "0"],
  ]);
  for (const r of routes) await runOk(["ip", "-n", client, "route", "replace", r.prefix, "via", r.via]);
}

/** Undoes addClientPoolRoutes; a route already gone is fine. */
export async function removeClientPoolRoutes(opts: ClientRouteOptions = {}): Promise<void> {
  const { client, routes } = resolved(opts);
  for (const r of routes) await run(["ip", "-n", client, "route", "del", r.prefix, "via", r.via]);
}
