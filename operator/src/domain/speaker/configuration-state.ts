/**
 * The `speaker-<node>` ConfigurationState (MetalLB 0.15.3+): Valid while the latest configuration
 * is in use, Invalid with every problem while it is not (the speaker then keeps the last good
 * one). A speaker runs only the configuration reconciler, so it reports `configReconcilerValid`;
 * a node with BGP sessions also reports `bgpSessionsEstablished` (metalbun's addition: which
 * sessions are down and why, so a route missing at the router has its reason next to the config's),
 * a speaker with membership reports `membersAlive` (metalbun's addition: the nodes whose speakers it
 * hears, comma-separated, so `metalbun explain` can tell a dead speaker from the apiserver), and
 * one answering ARP/NDP reports `layer2Interfaces` (metalbun's addition: the interfaces it answers
 * on, so explain can tell an L2Advertisement naming interfaces this node lacks), and one beating on
 * more announcing segments than its bind address's reports `segmentMembersAlive` (metalbun's
 * addition: per segment, its interface, subnets and the speakers heard there, as
 * `eth1 172.19.0.0/24,fd00:19::/64: a,b; ...`, so explain elects those subnets' IPs as they do).
 * A condition keeps its lastTransitionTime while its status holds.
 */
import type { Condition } from "../api/condition.ts";
import type { ConfigurationStateStatus } from "../api/configuration-state.ts";
import { LABEL_COMPONENT_TYPE, LABEL_NODE_NAME } from "../api/labels.ts";
import type { BgpSessionStatus } from "../bgp/types.ts";
import type { MemberSegment } from "../election/segments.ts";

export function speakerConfigurationStateName(node: string): string {
  return `speaker-${node}`;
}

export function speakerConfigurationStateLabels(node: string): Readonly<Record<string, string>> {
  return { [LABEL_COMPONENT_TYPE]: "speaker", [LABEL_NODE_NAME]: node };
}

function condition(
  type: string,
  status: "True" | "False",
  reason: string,
  message: string,
  now: string,
  previous: ConfigurationStateStatus | undefined,
): Condition {
  const before = previous?.conditions?.find((c) => c.type === type);
  return {
    type,
    status,
    reason,
    message,
    lastTransitionTime: before !== undefined && before.status === status ? before.lastTransitionTime : now,
  };
}

/** `peer: state (last error)` for every session not Established, in peer order. */
function sessionsDown(sessions: readonly BgpSessionStatus[]): string {
  return sessions
    .filter((s) => s.state !== "established")
    .map((s) => `${s.peer}: not established${s.lastError === undefined ? "" : ` (${s.lastError})`}`)
    .join("; ");
}

export const MEMBERS_ALIVE = "membersAlive";
export const LAYER2_INTERFACES = "layer2Interfaces";
export const SEGMENT_MEMBERS_ALIVE = "segmentMembersAlive";

/** The CRD caps a condition message at 32768 characters; a longer list is cut at a name. */
const MAX_MESSAGE = 32768;

function namesText(names: readonly string[]): string {
  let text = "";
  for (const name of [...names].sort()) {
    const next = text === "" ? name : `${text},${name}`;
    if (next.length > MAX_MESSAGE) break;
    text = next;
  }
  return text;
}

/** `ifname prefix,prefix: member,member` per segment, "; " between them, cut at a segment. */
export function segmentsText(segments: readonly MemberSegment[]): string {
  let text = "";
  for (const s of segments) {
    const part = `${s.ifname} ${s.prefixes.join(",")}: ${namesText(s.members)}`;
    const next = text === "" ? part : `${text}; ${part}`;
    if (next.length > MAX_MESSAGE) break;
    text = next;
  }
  return text;
}

/** segmentsText read back; parts that do not parse are left out. */
export function parseSegmentsText(text: string): MemberSegment[] {
  const segments: MemberSegment[] = [];
  for (const part of text.split("; ")) {
    const match = /^(\S+) (\S+): ?(.*)$/.exec(part);
    if (match === null) continue;
    segments.push({
      ifname: match[1]!,
      prefixes: match[2]!.split(",").filter((p) => p !== ""),
      members: match[3]!.split(",").filter((m) => m !== ""),
    });
  }
  return segments;
}

/** What the speaker reports of itself besides its configuration, each with its own condition. */
export interface SpeakerReport {
  /** This node's BGP sessions as the announcer reports them (none: no BGP condition). */
  readonly sessions?: readonly BgpSessionStatus[];
  /** The live speakers this one hears (undefined: membership disabled, no condition). */
  readonly members?: readonly string[];
  /** The interfaces it answers ARP/NDP on (undefined: not known yet, no condition). */
  readonly interfaces?: readonly string[];
  /** Its other announcing segments' live speakers (none: no condition). */
  readonly segments?: readonly MemberSegment[];
}

/** `problems`: one message per parse error or refusal, in order; empty means Valid. */
export function speakerConfigurationStateStatus(
  problems: readonly string[],
  now: string,
  previous: ConfigurationStateStatus | undefined,
  report: SpeakerReport = {},
): ConfigurationStateStatus {
  const { sessions = [], members, interfaces, segments = [] } = report;
  const valid = problems.length === 0;
  const summary = problems.join("; ");
  const conditions = [
    condition(
      "configReconcilerValid",
      valid ? "True" : "False",
      valid ? "Reconciled" : "ConfigurationError",
      valid ? "" : summary,
      now,
      previous,
    ),
  ];
  if (sessions.length > 0) {
    const down = sessionsDown(sessions);
    conditions.push(
      condition(
        "bgpSessionsEstablished",
        down === "" ? "True" : "False",
        down === "" ? "AllEstablished" : "SessionsDown",
        down,
        now,
        previous,
      ),
    );
  }
  if (members !== undefined) {
    conditions.push(condition(MEMBERS_ALIVE, "True", "MembersSeen", namesText(members), now, previous));
  }
  if (interfaces !== undefined) {
    conditions.push(condition(LAYER2_INTERFACES, "True", "Answering", namesText(interfaces), now, previous));
  }
  if (segments.length > 0) {
    conditions.push(
      condition(SEGMENT_MEMBERS_ALIVE, "True", "MembersSeen", segmentsText(segments), now, previous),
    );
  }
  return { result: valid ? "Valid" : "Invalid", errorSummary: summary, conditions };
}
