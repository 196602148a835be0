/**
 * Kubernetes' metav1.LabelSelector, used by every selector field of the metallb.io kinds.
 * Semantics (Kubernetes): matchLabels and matchExpressions are ANDed; an empty selector matches
 * everything. MetalLB ORs the selectors of one list field (e.g. `nodeSelectors`).
 */
export type LabelSelectorOperator = "In" | "NotIn" | "Exists" | "DoesNotExist";

export const LABEL_SELECTOR_OPERATORS: readonly LabelSelectorOperator[] = [
  "In",
  "NotIn",
  "Exists",
  "DoesNotExist",
];

export interface LabelSelectorRequirement {
  readonly key: string;
  readonly operator: LabelSelectorOperator;
  /** Required and non-empty for In/NotIn; must be empty for Exists/DoesNotExist. */
  readonly values?: readonly string[];
}

export interface LabelSelector {
  readonly matchLabels?: Readonly<Record<string, string>>;
  readonly matchExpressions?: readonly LabelSelectorRequirement[];
}
