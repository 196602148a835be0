import type { Condition } from "./condition.ts";
import type { METALLB_V1BETA1 } from "./group.ts";
import type { ObjectMeta } from "./object-meta.ts";

/**
 * ConfigurationState (metallb.io/v1beta1): whether a component could use the configuration.
 * Objects `controller` and `speaker-<node>` in the MetalLB namespace.
 */
export interface ConfigurationState {
  readonly apiVersion: typeof METALLB_V1BETA1;
  readonly kind: "ConfigurationState";
  readonly metadata: ObjectMeta;
  readonly spec?: Readonly<Record<string, never>>;
  readonly status?: ConfigurationStateStatus;
}

export type ConfigurationResult = "Valid" | "Invalid" | "Unknown";

/** Condition types MetalLB reports. */
export type ConfigurationConditionType = "configReconcilerValid" | "poolReconcilerValid";

/** Condition reasons MetalLB reports. */
export type ConfigurationConditionReason =
  | "ConfigurationError"
  | "InfraError"
  | "Reconciled"
  | "UnknownError";

export interface ConfigurationStateStatus {
  readonly result?: ConfigurationResult;
  readonly errorSummary?: string;
  readonly conditions?: readonly Condition[];
}
