/**
 * The `speaker-<node>` ConfigurationState (MetalLB 0.15.3+): Valid while the latest configuration
 * is in use, Invalid with every problem while it is not (the speaker then keeps the last good
 * one). A speaker runs only the configuration reconciler, so it reports `configReconcilerValid`;
 * a node with BGP sessions also reports `bgpSessionsEstablished` (metalbun's addition: which
 * sessions are down and why, so a route missing at the router has its reason next to the config's),
 * and a speaker with membership reports `membersAlive` (metalbun's addition: the nodes whose
 * speakers it hears, comma-separated, so `metalbun explain` can tell a dead speaker from the apiserver).
 * A condition keeps its lastTransitionTime while its status holds.
 */
import type { Condition } from "../api/condition.ts";
import type { ConfigurationStateStatus } from "../api/configuration-state.ts";
import { LABEL_COMPONENT_TYPE, LABEL_NODE_NAME } from "../api/labels.ts";
import type { BgpSessionStatus } from "../bgp/types.ts";

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

/** The CRD caps a condition message at 32768 characters; a longer list is cut at a name. */
const MAX_MESSAGE = 32768;

function membersText(members: readonly string[]): string {
  let text = "";
  for (const name of [...members].sort()) {
    const next = text === "" ? name : `${text},${name}`;
    if (next.length > MAX_MESSAGE) break;
    text = next;
  }
  return text;
}

/**
 * `problems`: one message per parse error or refusal, in order; empty means Valid. `sessions`:
 * this node's BGP sessions as the announcer reports them (none: no BGP condition). `members`: the
 * live speakers this one hears (undefined: membership disabled, no condition).
 */
export function speakerConfigurationStateStatus(
  problems: readonly string[],
  now: string,
  previous: ConfigurationStateStatus | undefined,
  sessions: readonly BgpSessionStatus[] = [],
  members?: readonly string[],
): ConfigurationStateStatus {
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
    conditions.push(condition(MEMBERS_ALIVE, "True", "MembersSeen", membersText(members), now, previous));
  }
  return { result: valid ? "Valid" : "Invalid", errorSummary: summary, conditions };
}
