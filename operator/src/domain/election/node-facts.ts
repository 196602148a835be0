/**
 * What the Layer 2 election needs to know about a Node, read once per reconcile: its labels (for
 * preferredNodeSelectors), and the two facts that take it out of every election (MetalLB §2.3):
 * condition NetworkUnavailable=True, and the presence of the
 * `node.kubernetes.io/exclude-from-external-load-balancers` label (value ignored).
 */
import type { Node } from "../api/core.ts";
import { LABEL_EXCLUDE_FROM_EXTERNAL_LOAD_BALANCERS } from "../api/labels.ts";
import type { Labels } from "../selector/label-selector.ts";

export interface NodeFacts {
  readonly name: string;
  readonly labels: Labels;
  readonly networkUnavailable: boolean;
  readonly excludedFromLoadBalancers: boolean;
}

export function nodeFactsOf(node: Node): NodeFacts {
  const labels = node.metadata?.labels;
  const conditions = Array.isArray(node.status?.conditions) ? (node.status?.conditions ?? []) : [];
  return {
    name: node.metadata?.name ?? "",
    labels,
    networkUnavailable: conditions.some((c) => c?.type === "NetworkUnavailable" && c.status === "True"),
    excludedFromLoadBalancers:
      labels !== undefined &&
      labels !== null &&
      Object.hasOwn(labels, LABEL_EXCLUDE_FROM_EXTERNAL_LOAD_BALANCERS),
  };
}

/** Nodes by name, in name order; nameless objects are skipped. */
export function nodeFactsByName(nodes: readonly Node[]): ReadonlyMap<string, NodeFacts> {
  const facts = nodes.map(nodeFactsOf).filter((n) => n.name !== "");
  facts.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return new Map(facts.map((n) => [n.name, n]));
}
