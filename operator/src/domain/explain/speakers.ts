/**
 * What explain knows of each node's speaker: whether it runs (its Pod), and which of its BGP
 * sessions it reports down (its `speaker-<node>` ConfigurationState).
 */
import type { ConfigurationState } from "../api/configuration-state.ts";
import { speakerConfigurationStateName } from "../speaker/configuration-state.ts";
import type { ExplainSnapshot } from "./snapshot.ts";
import type { NodeRow } from "./verdict.ts";

/** Node names of running speakers: the membership a speaker would see. undefined: unknown. */
export function liveSpeakers(snapshot: ExplainSnapshot): readonly string[] | undefined {
  return snapshot.speakers?.filter((s) => s.state === "running").map((s) => s.node);
}

export function speakerOn(snapshot: ExplainSnapshot, node: string): NodeRow["speaker"] {
  if (snapshot.speakers === undefined) return "unknown";
  return snapshot.speakers.find((s) => s.node === node)?.state ?? "absent";
}

export function speakerConfigurationState(
  snapshot: ExplainSnapshot,
  node: string,
): ConfigurationState | undefined {
  const name = speakerConfigurationStateName(node);
  return snapshot.configurationStates.find((c) => c.metadata?.name === name);
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
