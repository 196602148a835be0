import type { LabelSelector, LabelSelectorOperator } from "../api/label-selector.ts";
import { byCodeUnits } from "../code-unit-order.ts";
import { err, ok, type Result } from "../ip/result.ts";

/**
 * Kubernetes label selectors (metav1.LabelSelector): matchLabels and matchExpressions ANDed, an
 * empty selector matches everything. Compiled once at config-parse time, as MetalLB does with
 * metav1.LabelSelectorAsSelector, so a bad selector is a ConfigError and never a runtime surprise.
 */
export interface Requirement {
  readonly key: string;
  readonly operator: LabelSelectorOperator;
  readonly values: readonly string[];
}

export interface CompiledSelector {
  readonly requirements: readonly Requirement[];
}

export type Labels = Readonly<Record<string, string>> | undefined;

/** Matches every label set (what an empty selector compiles to). */
export const EVERYTHING: CompiledSelector = { requirements: [] };

const NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const OPERATORS: ReadonlySet<string> = new Set(["In", "NotIn", "Exists", "DoesNotExist"]);

/** Why a label key is invalid (Kubernetes qualified-name rules), or undefined when it is valid. */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf("/");
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    return `invalid label key "${key}": the prefix must be a DNS subdomain`;
  }
  if (name.length === 0 || name.length > 63 || !NAME.test(name)) {
    return `invalid label key "${key}": the name must be 1-63 alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric character`;
  }
  return undefined;
}

/** Why a label value is invalid, or undefined when it is valid (the empty value is valid). */
export function labelValueProblem(value: string): string | undefined {
  if (value === "") return undefined;
  if (value.length > 63 || !NAME.test(value)) {
    return `invalid label value "${value}": must be at most 63 alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric character`;
  }
  return undefined;
}

/**
 * Validates and compiles a selector. Errors name the offending part; they mirror the checks of
 * metav1.LabelSelectorAsSelector plus MetalLB's duplicate checks inside one selector.
 */
export function compileSelector(selector: LabelSelector | undefined): Result<CompiledSelector> {
  if (selector === undefined || selector === null) return ok(EVERYTHING);
  if (typeof selector !== "object") return err("a label selector must be an object");
  const requirements: Requirement[] = [];
  const matchLabels = selector.matchLabels ?? {};
  for (const key of Object.keys(matchLabels).sort()) {
    const value = matchLabels[key];
    if (typeof value !== "string") return err(`matchLabels "${key}": the value must be a string`);
    const problem = labelKeyProblem(key) ?? labelValueProblem(value);
    if (problem !== undefined) return err(`matchLabels: ${problem}`);
    requirements.push({ key, operator: "In", values: [value] });
  }
  const expressions = selector.matchExpressions ?? [];
  if (!Array.isArray(expressions)) return err("matchExpressions must be a list");
  const seen = new Set<string>();
  for (const [i, expression] of expressions.entries()) {
    const where = `matchExpressions[${i}]`;
    const key = expression?.key;
    const operator = expression?.operator;
    const values: unknown = expression?.values ?? [];
    if (typeof key !== "string") return err(`${where}: key is required`);
    const keyProblem = labelKeyProblem(key);
    if (keyProblem !== undefined) return err(`${where}: ${keyProblem}`);
    if (typeof operator !== "string" || !OPERATORS.has(operator)) {
      return err(
        `${where}: "${String(operator)}" is not a valid label selector operator (In, NotIn, Exists, DoesNotExist)`,
      );
    }
    if (!Array.isArray(values) || values.some((v) => typeof v !== "string")) {
      return err(`${where}: values must be a list of strings`);
    }
    const list = values as string[];
    if ((operator === "In" || operator === "NotIn") && list.length === 0) {
      return err(`${where}: values must not be empty for the ${operator} operator`);
    }
    if ((operator === "Exists" || operator === "DoesNotExist") && list.length > 0) {
      return err(`${where}: values must be empty for the ${operator} operator`);
    }
    const sorted = [...list].sort();
    for (let j = 1; j < sorted.length; j++) {
      if (sorted[j] === sorted[j - 1]) {
        return err(
          `${where}: duplicate definition of match expression value in label selector "${sorted[j]}"`,
        );
      }
    }
    for (const value of sorted) {
      const problem = labelValueProblem(value);
      if (problem !== undefined) return err(`${where}: ${problem}`);
    }
    const identity = JSON.stringify([key, operator, sorted]);
    if (seen.has(identity))
      return err(`${where}: duplicate definition of match expressions for key "${key}"`);
    seen.add(identity);
    requirements.push({ key, operator: operator as LabelSelectorOperator, values: sorted });
  }
  return ok({ requirements });
}

/** Whether the labels satisfy every requirement of the selector. */
export function selectorMatches(selector: CompiledSelector, labels: Labels): boolean {
  for (const r of selector.requirements) {
    const value = labels?.[r.key];
    const has = value !== undefined;
    switch (r.operator) {
      case "In":
        if (!has || !r.values.includes(value)) return false;
        break;
      case "NotIn":
        if (has && r.values.includes(value)) return false;
        break;
      case "Exists":
        if (!has) return false;
        break;
      case "DoesNotExist":
        if (has) return false;
        break;
    }
  }
  return true;
}

/** MetalLB ORs the selectors of one list field: any match wins. An empty list matches nothing. */
export function anySelectorMatches(selectors: readonly CompiledSelector[], labels: Labels): boolean {
  return selectors.some((s) => selectorMatches(s, labels));
}

/**
 * A canonical text of a raw selector, equal for selectors that differ only in the order of
 * matchLabels keys or of values: MetalLB rejects such duplicates in one list
 * ("duplicate definition of nodeSelectors …").
 */
export function selectorIdentity(selector: LabelSelector): string {
  const labels = Object.entries(selector.matchLabels ?? {}).sort(([a], [b]) => byCodeUnits(a, b));
  const expressions = (selector.matchExpressions ?? []).map((e) => [
    e.key,
    e.operator,
    [...(e.values ?? [])].sort(),
  ]);
  return JSON.stringify([labels, expressions]);
}

/** A short human form of a raw selector for error messages, e.g. `{app=web, tier in (a,b)}`. */
export function describeSelector(selector: LabelSelector): string {
  const parts = Object.entries(selector.matchLabels ?? {})
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`);
  for (const e of selector.matchExpressions ?? []) {
    const values = (e.values ?? []).join(",");
    parts.push(
      e.operator === "Exists"
        ? e.key
        : e.operator === "DoesNotExist"
          ? `!${e.key}`
          : `${e.key} ${e.operator === "In" ? "in" : "notin"} (${values})`,
    );
  }
  return `{${parts.join(", ")}}`;
}

/** Compiles a list of selectors, rejecting invalid ones and duplicates (`field` names the list). */
export function compileSelectorList(
  selectors: readonly LabelSelector[] | undefined,
  field: string,
): Result<CompiledSelector[]> {
  if (selectors === undefined || selectors === null) return ok([]);
  if (!Array.isArray(selectors)) return err(`${field} must be a list`);
  const compiled: CompiledSelector[] = [];
  const seen = new Set<string>();
  for (const [i, selector] of selectors.entries()) {
    const result = compileSelector(selector);
    if (!result.ok) return err(`${field}[${i}]: ${result.error}`);
    const identity = selectorIdentity(selector);
    if (seen.has(identity)) return err(`duplicate definition of ${field} ${describeSelector(selector)}`);
    seen.add(identity);
    compiled.push(result.value);
  }
  return ok(compiled);
}
