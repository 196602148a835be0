/**
 * What explain knows of each node's speaker, from two sources: its Pod (running and ready or not;
 * absent off Kubernetes), and the membership the speakers publish (the `membersAlive` condition
 * of each `speaker-<node>` ConfigurationState: the speakers it hears). A speaker is alive when
 * at least half of the other reporting speakers hear it: a dead speaker's report is stale, but
 * nobody else lists it; the same rule per other announcing segment (`segmentMembersAlive`), among
 * the speakers that report that segment. Also: which BGP sessions a speaker reports down.
 */
import type { ConfigurationState } from "../api/configuration-state.ts";
import type { MemberSegment } from "../election/segments.ts";
import {
  LAYER2_INTERFACES,
  MEMBERS_ALIVE,
  parseSegmentsText,
  SEGMENT_MEMBERS_ALIVE,
  speakerConfigurationStateName,
} from "../speaker/configuration-state.ts";
import type { ExplainSnapshot } from "./snapshot.ts";
import type { NodeRow } from "./verdict.ts";

const PREFIX = speakerConfigurationStateName("");

/** Reporting speaker -> the nodes it hears; undefined when no speaker reports membership. */
function membershipReports(snapshot: ExplainSnapshot): Map<string, ReadonlySet<string>> | undefined {
  const reports = new Map<string, ReadonlySet<string>>();
  for (const state of snapshot.configurationStates) {
    const name = state.metadata?.name ?? "";
    if (!name.startsWith(PREFIX)) continue;
    const condition = state.status?.conditions?.find((c) => c.type === MEMBERS_ALIVE);
    if (condition === undefined) continue;
    const heard = (condition.message ?? "").split(",").filter((n) => n !== "");
    reports.set(name.slice(PREFIX.length), new Set(heard));
  }
  return reports.size === 0 ? undefined : reports;
}

function heardAlive(node: string, reports: ReadonlyMap<string, ReadonlySet<string>>): boolean {
  const others = [...reports].filter(([reporter]) => reporter !== node);
  if (others.length === 0) return reports.get(node)?.has(node) ?? false;
  const hearing = others.filter(([, heard]) => heard.has(node)).length;
  return hearing * 2 >= others.length;
}

const presences = new WeakMap<ExplainSnapshot, ReadonlyMap<string, NodeRow["speaker"]> | undefined>();

/** Node -> its speaker's state; undefined when neither Pods nor membership tell. */
function presenceOf(snapshot: ExplainSnapshot): ReadonlyMap<string, NodeRow["speaker"]> | undefined {
  if (presences.has(snapshot)) return presences.get(snapshot);
  const reports = membershipReports(snapshot);
  let presence: Map<string, NodeRow["speaker"]> | undefined;
  if (snapshot.speakers !== undefined || reports !== undefined) {
    presence = new Map();
    const nodes = new Set([...(snapshot.speakers ?? []).map((s) => s.node), ...(reports?.keys() ?? [])]);
    for (const heard of reports?.values() ?? []) for (const n of heard) nodes.add(n);
    for (const node of nodes) {
      const pod =
        snapshot.speakers === undefined
          ? "running"
          : (snapshot.speakers.find((s) => s.node === node)?.state ?? "absent");
      if (pod !== "running") presence.set(node, pod);
      else if (reports !== undefined && !heardAlive(node, reports)) presence.set(node, "notAlive");
      else presence.set(node, "running");
    }
  }
  presences.set(snapshot, presence);
  return presence;
}

/** Node names of live speakers: the membership a speaker would see. undefined: unknown. */
export function liveSpeakers(snapshot: ExplainSnapshot): readonly string[] | undefined {
  const presence = presenceOf(snapshot);
  if (presence === undefined) return undefined;
  return [...presence]
    .filter(([, state]) => state === "running")
    .map(([node]) => node)
    .sort();
}

/**
 * The other announcing segments the speakers report, by their subnets (a node names its interface
 * as it likes), each with the running speakers that most of the segment's other reporters hear.
 */
export function liveSegments(snapshot: ExplainSnapshot): readonly MemberSegment[] {
  const bySubnets = new Map<
    string,
    { ifname: string; prefixes: readonly string[]; reports: Map<string, ReadonlySet<string>> }
  >();
  for (const state of snapshot.configurationStates) {
    const name = state.metadata?.name ?? "";
    if (!name.startsWith(PREFIX)) continue;
    const condition = state.status?.conditions?.find((c) => c.type === SEGMENT_MEMBERS_ALIVE);
    if (condition === undefined) continue;
    for (const segment of parseSegmentsText(condition.message ?? "")) {
      const key = [...segment.prefixes].sort().join(",");
      let entry = bySubnets.get(key);
      if (entry === undefined) {
        entry = { ifname: segment.ifname, prefixes: segment.prefixes, reports: new Map() };
        bySubnets.set(key, entry);
      }
      entry.reports.set(name.slice(PREFIX.length), new Set(segment.members));
    }
  }
  const presence = presenceOf(snapshot);
  return [...bySubnets.values()].map(({ ifname, prefixes, reports }) => {
    const heard = new Set<string>();
    for (const names of reports.values()) for (const n of names) heard.add(n);
    const members = [...heard]
      .filter((n) => (presence?.get(n) ?? "running") === "running" && heardAlive(n, reports))
      .sort();
    return { ifname, prefixes, members };
  });
}

/** Nodes a speaker is known on (by Pod or membership), sorted. */
export function speakerNodes(snapshot: ExplainSnapshot): string[] {
  return [...(presenceOf(snapshot)?.keys() ?? [])].sort();
}

export function speakerOn(snapshot: ExplainSnapshot, node: string): NodeRow["speaker"] {
  const presence = presenceOf(snapshot);
  if (presence === undefined) return "unknown";
  return presence.get(node) ?? "absent";
}

export function speakerConfigurationState(
  snapshot: ExplainSnapshot,
  node: string,
): ConfigurationState | undefined {
  const name = speakerConfigurationStateName(node);
  return snapshot.configurationStates.find((c) => c.metadata?.name === name);
}

/** The interfaces the node's speaker reports answering on; undefined: it does not say. */
export function layer2InterfacesOf(snapshot: ExplainSnapshot, node: string): string[] | undefined {
  const condition = speakerConfigurationState(snapshot, node)?.status?.conditions?.find(
    (c) => c.type === LAYER2_INTERFACES,
  );
  return condition === undefined ? undefined : (condition.message ?? "").split(",").filter((n) => n !== "");
}

/**
 * Peers among `peers` whose session the node's speaker reports not established. The speaker
 * writes them in its `bgpSessionsEstablished` condition as `peer: not established (...)`, joined
 * by "; " (speaker/configuration-state.ts), so that is what is read back.
 */
export function peersDown(snapshot: ExplainSnapshot, node: string, peers: readonly string[]): string[] {
  const condition = speakerConfigurationState(snapshot, node)?.status?.conditions?.find(
    (c) => c.type === "bgpSessionsEstablished",
  );
  if (condition === undefined || condition.status !== "False") return [];
  const down = new Set(
    (condition.message ?? "").split("; ").map((part) => part.split(": not established")[0]),
  );
  return peers.filter((p) => down.has(p));
}
