/**
 * Explanations as text: a table for people (the first line says it all), JSON and YAML for
 * scripts (the domain's values as they are, reason codes included).
 */
import { stringify } from "yaml";
import type { ClusterSummary } from "../domain/explain/cluster-summary.ts";
import { nodeVerdictText } from "../domain/explain/node-texts.ts";
import type { ServiceExplanation } from "../domain/explain/verdict.ts";
import type { ReadProblem } from "../kube/explain-snapshot.ts";
import type { OutputFormat } from "./explain-options.ts";

/** Left-aligned columns, two spaces apart; the last column is not padded. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? "").length)));
  return all
    .map((row) =>
      row
        .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!)))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

function problemsText(problems: readonly ReadProblem[]): string {
  if (problems.length === 0) return "";
  return `\nnot readable (the answer may be incomplete):\n${problems.map((p) => `  ${p.resource}: ${p.message}`).join("\n")}\n`;
}

export function renderService(e: ServiceExplanation, problems: readonly ReadProblem[]): string {
  const steps = table(
    ["STEP", "VERDICT", "REASON", "DETAIL"],
    e.steps.map((s) => [s.step, s.verdict, s.code, s.text]),
  );
  const anyL2 = e.nodes.some((n) => n.layer2 !== undefined);
  const anyBgp = e.nodes.some((n) => n.bgp !== undefined);
  const header = ["NODE", "SPEAKER", ...(anyL2 ? ["LAYER2"] : []), ...(anyBgp ? ["BGP"] : [])];
  const nodes =
    e.nodes.length === 0
      ? ""
      : `\n\n${table(
          header,
          e.nodes.map((n) => [
            n.node,
            n.speaker,
            ...(anyL2 ? [n.layer2 === undefined ? "-" : nodeVerdictText(n.layer2)] : []),
            ...(anyBgp ? [n.bgp === undefined ? "-" : nodeVerdictText(n.bgp)] : []),
          ]),
        )}`;
  return `${e.summary}\n\n${steps}${nodes}\n${problemsText(problems)}`;
}

export function renderCluster(s: ClusterSummary, problems: readonly ReadProblem[]): string {
  const parts = [s.summary];
  parts.push(
    table(
      ["POOL", "AUTOASSIGN", "USAGE", "ADVERTISED BY"],
      s.pools.map((p) => [p.name, String(p.autoAssign), p.usage, p.advertisedBy.join(", ") || "nothing"]),
    ),
  );
  if (s.advertisements.length > 0)
    parts.push(
      table(
        ["ADVERTISEMENT", "POOLS", "NODES"],
        s.advertisements.map((a) => [
          `${a.kind}/${a.name}`,
          a.pools.join(", "),
          a.nodes.join(", ") || "none",
        ]),
      ),
    );
  const bgp = s.speakers.some((x) => x.bgpSessions !== "");
  parts.push(
    table(
      ["NODE", "SPEAKER", "CONFIGURATION", ...(bgp ? ["BGP SESSIONS"] : [])],
      s.speakers.map((x) => [
        x.node,
        x.speaker,
        x.configuration || "-",
        ...(bgp ? [x.bgpSessions || "-"] : []),
      ]),
    ),
  );
  if (s.configErrors.length > 0)
    parts.push(`configuration errors:\n${s.configErrors.map((e) => `  ${e}`).join("\n")}`);
  if (s.problems.length > 0)
    parts.push(`Services not announced as decided:\n${s.problems.map((p) => `  ${p.summary}`).join("\n")}`);
  return `${parts.join("\n\n")}\n${problemsText(problems)}`;
}

export function render(
  value: ServiceExplanation | ClusterSummary,
  format: OutputFormat,
  problems: readonly ReadProblem[],
): string {
  if (format === "json") return `${JSON.stringify({ ...value, readProblems: problems }, null, 2)}\n`;
  if (format === "yaml") return stringify({ ...value, readProblems: problems });
  return "steps" in value ? renderService(value, problems) : renderCluster(value, problems);
}
