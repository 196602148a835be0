/**
 * The `controller` ConfigurationState (MetalLB 0.15.3+): Valid while the latest configuration
 * parsed, Invalid with every error while it does not (the controller then keeps serving the last
 * good one). Conditions keep their lastTransitionTime while their status does not change.
 */
import type { Condition, ConditionStatus } from "../api/condition.ts";
import type { ConfigurationStateStatus } from "../api/configuration-state.ts";
import type { ConfigError } from "../config/errors.ts";

function condition(
  type: string,
  status: ConditionStatus,
  reason: string,
  message: string,
  now: string,
  previous: readonly Condition[] | undefined,
): Condition {
  const before = previous?.find((c) => c.type === type);
  const lastTransitionTime =
    before !== undefined && before.status === status ? before.lastTransitionTime : now;
  return { type, status, reason, message, lastTransitionTime };
}

export function configurationStateStatus(
  errors: readonly ConfigError[],
  now: string,
  previous: ConfigurationStateStatus | undefined,
): ConfigurationStateStatus {
  const valid = errors.length === 0;
  const summary = errors.map((e) => e.message).join("; ");
  return {
    result: valid ? "Valid" : "Invalid",
    errorSummary: summary,
    conditions: [
      condition(
        "configReconcilerValid",
        valid ? "True" : "False",
        valid ? "Reconciled" : "ConfigurationError",
        valid ? "" : summary,
        now,
        previous?.conditions,
      ),
      condition("poolReconcilerValid", "True", "Reconciled", "", now, previous?.conditions),
    ],
  };
}
