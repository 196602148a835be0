/**
 * Step 4, nodes: is any node a candidate? If not, which rule took each one out, grouped by rule,
 * so the first line names the cause ("myk8s-worker, myk8s-worker2: labelled ...").
 */
import type { NodeDecisions } from "./node-rows.ts";
import { nodeCodeText } from "./node-texts.ts";
import type { NodeRow, Step } from "./verdict.ts";

/** "node: reason" for every node that is not a candidate, grouped by reason. */
function whyNoNode(rows: readonly NodeRow[]): string {
  const byReason = new Map<string, string[]>();
  for (const row of rows) {
    for (const verdict of [row.layer2, row.bgp]) {
      if (verdict === undefined || verdict.code === "announces" || verdict.code === "standby") continue;
      const text = nodeCodeText(verdict.code);
      const nodes = byReason.get(text) ?? [];
      if (!nodes.includes(row.node)) nodes.push(row.node);
      byReason.set(text, nodes);
    }
  }
  return [...byReason].map(([text, nodes]) => `${nodes.join(", ")}: ${text}`).join("; ");
}

export function nodesStep(decisions: NodeDecisions): Step {
  const { rows } = decisions;
  const candidates = rows.filter(
    (r) =>
      r.layer2?.code === "announces" ||
      r.layer2?.code === "standby" ||
      r.layer2?.code === "interfaceNotAvailable" ||
      r.bgp?.code === "announces",
  );
  if (rows.length > 0 && rows.every((r) => (r.layer2 ?? r.bgp)?.code === "noEndpoints"))
    return {
      step: "nodes",
      verdict: "fail",
      code: "noEndpoints",
      text: "no ready endpoint: no node announces a Service whose pods are not ready (check its selector and pods)",
    };
  if (candidates.length === 0)
    return {
      step: "nodes",
      verdict: "fail",
      code: "noCandidateNode",
      text: `no node may announce it: ${rows.length === 0 ? "there is no Node" : whyNoNode(rows)}`,
    };
  return {
    step: "nodes",
    verdict: "ok",
    code: "candidates",
    text: `candidates: ${candidates.map((r) => r.node).join(", ")}`,
  };
}
