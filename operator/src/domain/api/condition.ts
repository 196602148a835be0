/** Kubernetes' metav1.Condition, as used by ConfigurationState's status. */
export type ConditionStatus = "True" | "False" | "Unknown";

export interface Condition {
  readonly type: string;
  readonly status: ConditionStatus;
  readonly observedGeneration?: number;
  /** RFC 3339 time of the last change of `status`. */
  readonly lastTransitionTime: string;
  /** CamelCase machine-readable reason. */
  readonly reason: string;
  readonly message: string;
}
