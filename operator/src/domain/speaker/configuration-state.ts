/**
 * The `speaker-<node>` ConfigurationState (MetalLB 0.15.3+): Valid while the latest configuration
 * is in use, Invalid with every problem while it is not (the speaker then keeps the last good
 * one). A speaker runs only the configuration reconciler, so it reports only
 * `configReconcilerValid`. The condition keeps its lastTransitionTime while its status holds.
 */
import type { Condition } from "../api/condition.ts";
import type { ConfigurationStateStatus } from "../api/configuration-state.ts";
import { LABEL_COMPONENT_TYPE, LABEL_NODE_NAME } from "../api/labels.ts";

export function speakerConfigurationStateName(node: string): string {
  return `speaker-${node}`;
}

export function speakerConfigurationStateLabels(node: string): Readonly<Record<string, string>> {
  return { [LABEL_COMPONENT_TYPE]: "speaker", [LABEL_NODE_NAME]: node };
}

/** `problems`: one message per parse error or refusal, in order; empty means Valid. */
export function speakerConfigurationStateStatus(
  problems: readonly string[],
  now: string,
  previous: ConfigurationStateStatus | undefined,
): ConfigurationStateStatus {
  const valid = problems.length === 0;
  const summary = problems.join("; ");
  const status = valid ? "True" : "False";
  const before = previous?.conditions?.find((c) => c.type === "configReconcilerValid");
  const condition: Condition = {
    type: "configReconcilerValid",
    status,
    reason: valid ? "Reconciled" : "ConfigurationError",
    message: valid ? "" : summary,
    lastTransitionTime: before !== undefined && before.status === status ? before.lastTransitionTime : now,
  };
  return { result: valid ? "Valid" : "Invalid", errorSummary: summary, conditions: [condition] };
}
