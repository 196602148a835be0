/**
 * Reading FRR's state through vtysh's JSON (FRR 8.4): the BGP RIB per address family, the
 * neighbours, BFD peers. Parsing is separate from running vtysh, so the shapes are unit-tested.
 */

import { vtysh } from "./frr.ts";
import type { AddressFamily } from "./frr-config.ts";

export interface FrrPath {
  readonly nexthops: readonly string[];
  readonly origin: string;
  /** Present on iBGP paths (and when a policy set it). */
  readonly localPref?: number;
  readonly communities: readonly string[];
  readonly largeCommunities: readonly string[];
  /** AS numbers in order, across every segment. */
  readonly aspath: readonly number[];
  readonly best: boolean;
  readonly multipath: boolean;
  readonly stale: boolean;
  readonly peer: string;
}

export interface FrrRoute {
  /** Next hops of every path in use (the best path and its multipath siblings), sorted. */
  readonly nexthops: readonly string[];
  /** Attributes of the best path. */
  readonly origin: string;
  readonly localPref?: number;
  readonly communities: readonly string[];
  readonly largeCommunities: readonly string[];
  readonly aspath: readonly number[];
  readonly paths: readonly FrrPath[];
}

interface PathJson {
  aspath?: { segments?: Array<{ list?: number[] }> };
  origin?: string;
  localpref?: number;
  /** FRR 8.4 names the LOCAL_PREF a path carries `locPrf` in `json detail`. */
  locPrf?: number;
  community?: { list?: string[] };
  largeCommunity?: { list?: string[] };
  bestpath?: { overall?: boolean };
  multipath?: boolean;
  stale?: boolean;
  valid?: boolean;
  nexthops?: Array<{ ip?: string; used?: boolean }>;
  peer?: { peerId?: string };
}

function toPath(p: PathJson): FrrPath {
  return {
    nexthops: (p.nexthops ?? []).filter((n) => n.used !== false && n.ip).map((n) => n.ip as string),
    origin: p.origin ?? "",
    ...((p.locPrf ?? p.localpref) === undefined ? {} : { localPref: p.locPrf ?? p.localpref }),
    communities: p.community?.list ?? [],
    largeCommunities: p.largeCommunity?.list ?? [],
    aspath: (p.aspath?.segments ?? []).flatMap((s) => s.list ?? []),
    best: p.bestpath?.overall === true,
    multipath: p.multipath === true,
    stale: p.stale === true,
    peer: p.peer?.peerId ?? "",
  };
}

/**
 * `show bgp <af> unicast json detail`: each prefix maps to an array whose first element describes
 * the prefix and the rest are its paths.
 */
export function parseFrrRoutes(json: string): Map<string, FrrRoute> {
  const parsed = JSON.parse(json) as { routes?: Record<string, Array<PathJson & { prefix?: string }>> };
  const routes = new Map<string, FrrRoute>();
  for (const [prefix, entries] of Object.entries(parsed.routes ?? {})) {
    const paths = entries.filter((e) => e.nexthops !== undefined && e.valid !== false).map(toPath);
    const best = paths.find((p) => p.best);
    if (!best) continue;
    const inUse = paths.filter((p) => p.best || p.multipath);
    routes.set(prefix, {
      nexthops: [...new Set(inUse.flatMap((p) => p.nexthops))].sort(),
      origin: best.origin,
      ...(best.localPref === undefined ? {} : { localPref: best.localPref }),
      communities: best.communities,
      largeCommunities: best.largeCommunities,
      aspath: best.aspath,
      paths,
    });
  }
  return routes;
}

/** FRR's BGP RIB for one address family: prefix -> route (only prefixes with a best path). */
export async function frrRoutes(ns: string, family: AddressFamily): Promise<Map<string, FrrRoute>> {
  return parseFrrRoutes(await vtysh(ns, `show bgp ${family} unicast json detail`));
}

export interface FrrNeighborState {
  /** FSM state: "Established", "Active", "Connect", "OpenSent", ... */
  readonly state: string;
  readonly remoteAs: number;
  /** Negotiated hold time (the smaller of both OPENs'). */
  readonly holdTimeMs: number;
  readonly keepaliveMs: number;
  /** Capability name -> FRR's word for it ("advertisedAndReceived", "received", ...). */
  readonly capabilities: Readonly<Record<string, unknown>>;
  /** Address families negotiated in both directions (e.g. "ipv4Unicast"). */
  readonly families: readonly string[];
  readonly gracefulRestart: { readonly remoteMode: string; readonly receivedRestartTimerS: number };
  readonly peerGroup?: string;
  readonly messages: { readonly updatesReceived: number; readonly notificationsReceived: number };
  readonly lastNotificationReason?: string;
}

interface NeighborJson {
  bgpState?: string;
  remoteAs?: number;
  bgpTimerHoldTimeMsecs?: number;
  bgpTimerKeepAliveIntervalMsecs?: number;
  neighborCapabilities?: Record<string, unknown> & {
    multiprotocolExtensions?: Record<string, { advertisedAndReceived?: boolean }>;
  };
  gracefulRestartInfo?: { remoteGrMode?: string; timers?: { receivedRestartTimer?: number } };
  peerGroup?: string;
  messageStats?: { updatesRecv?: number; notificationsRecv?: number };
  lastNotificationReason?: string;
  lastResetDueTo?: string;
}

export function parseFrrNeighbors(json: string): Map<string, FrrNeighborState> {
  const parsed = JSON.parse(json) as Record<string, NeighborJson>;
  const neighbors = new Map<string, FrrNeighborState>();
  for (const [ip, n] of Object.entries(parsed)) {
    if (typeof n !== "object" || n === null || n.bgpState === undefined) continue;
    const families = Object.entries(n.neighborCapabilities?.multiprotocolExtensions ?? {})
      .filter(([, v]) => v.advertisedAndReceived === true)
      .map(([k]) => k)
      .sort();
    const reason = n.lastNotificationReason ?? n.lastResetDueTo;
    neighbors.set(ip, {
      state: n.bgpState,
      remoteAs: n.remoteAs ?? 0,
      holdTimeMs: n.bgpTimerHoldTimeMsecs ?? 0,
      keepaliveMs: n.bgpTimerKeepAliveIntervalMsecs ?? 0,
      capabilities: n.neighborCapabilities ?? {},
      families,
      gracefulRestart: {
        remoteMode: n.gracefulRestartInfo?.remoteGrMode ?? "",
        receivedRestartTimerS: n.gracefulRestartInfo?.timers?.receivedRestartTimer ?? 0,
      },
      ...(n.peerGroup === undefined ? {} : { peerGroup: n.peerGroup }),
      messages: {
        updatesReceived: n.messageStats?.updatesRecv ?? 0,
        notificationsReceived: n.messageStats?.notificationsRecv ?? 0,
      },
      ...(reason === undefined ? {} : { lastNotificationReason: reason }),
    });
  }
  return neighbors;
}

/** FRR's BGP neighbours: address -> state (dynamic neighbours appear once connected). */
export async function frrNeighbors(ns: string): Promise<Map<string, FrrNeighborState>> {
  return parseFrrNeighbors(await vtysh(ns, "show bgp neighbors json"));
}

export interface FrrBfdPeer {
  readonly peer: string;
  readonly status: string;
  readonly remoteReceiveIntervalMs: number;
  readonly remoteTransmitIntervalMs: number;
  readonly remoteDetectMultiplier: number;
  /** Why FRR itself last took the session down ("control detection time expired", ...). */
  readonly diagnostic: string;
  /** Why the peer last said it was down ("administratively down", ...), as FRR names it. */
  readonly remoteDiagnostic: string;
  /** A multihop session (RFC 5883, UDP 4784) rather than a single-hop one (RFC 5881). */
  readonly multihop: boolean;
}

/** `show bfd peers json` (needs the router started with bfd). */
export async function frrBfdPeers(ns: string): Promise<FrrBfdPeer[]> {
  const parsed = JSON.parse(await vtysh(ns, "show bfd peers json")) as Array<{
    peer?: string;
    status?: string;
    "remote-receive-interval"?: number;
    "remote-transmit-interval"?: number;
    "remote-detect-multiplier"?: number;
    diagnostic?: string;
    "remote-diagnostic"?: string;
    multihop?: boolean;
  }>;
  return parsed.map((p) => ({
    peer: p.peer ?? "",
    status: p.status ?? "",
    remoteReceiveIntervalMs: p["remote-receive-interval"] ?? 0,
    remoteTransmitIntervalMs: p["remote-transmit-interval"] ?? 0,
    remoteDetectMultiplier: p["remote-detect-multiplier"] ?? 0,
    diagnostic: p.diagnostic ?? "",
    remoteDiagnostic: p["remote-diagnostic"] ?? "",
    multihop: p.multihop === true,
  }));
}

/** Per BFD peer, how often bfdd saw the session come up and go down. */
export interface FrrBfdCounters {
  readonly sessionUp: number;
  readonly sessionDown: number;
}

/** `show bfd peers counters json`: peer address -> its up/down event counts. */
export function parseFrrBfdCounters(json: string): Map<string, FrrBfdCounters> {
  const parsed = JSON.parse(json) as Array<{ peer?: string; "session-up"?: number; "session-down"?: number }>;
  return new Map(
    parsed.map((p) => [
      p.peer ?? "",
      { sessionUp: p["session-up"] ?? 0, sessionDown: p["session-down"] ?? 0 },
    ]),
  );
}

export async function frrBfdCounters(ns: string): Promise<Map<string, FrrBfdCounters>> {
  return parseFrrBfdCounters(await vtysh(ns, "show bfd peers counters json"));
}

/** Per BGP neighbour, how many times its session was dropped (`connectionsDropped`). */
export async function frrBgpDrops(ns: string): Promise<Map<string, number>> {
  const parsed = JSON.parse(await vtysh(ns, "show bgp neighbors json")) as Record<
    string,
    { connectionsDropped?: number }
  >;
  return new Map(Object.entries(parsed).map(([peer, n]) => [peer, n.connectionsDropped ?? 0]));
}
