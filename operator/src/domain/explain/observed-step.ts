/**
 * Step 6, observed vs decided: what the speakers report (ServiceL2Status, ServiceBGPStatus)
 * against what the rules decide. A mismatch is the verdict: a speaker that did not act on its
 * decision (not running, stuck, an older configuration), or a stale status object.
 */
import type { ExplainSnapshot } from "./snapshot.ts";
import type { Step } from "./verdict.ts";

function nodesReporting(
  statuses: readonly {
    readonly status?: {
      readonly node?: string;
      readonly serviceName?: string;
      readonly serviceNamespace?: string;
    };
  }[],
  namespace: string,
  name: string,
): string[] {
  const nodes = new Set<string>();
  for (const object of statuses) {
    const s = object.status;
    if (s?.node !== undefined && s.serviceName === name && s.serviceNamespace === namespace)
      nodes.add(s.node);
  }
  return [...nodes].sort();
}

const sameNodes = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && a.every((n, i) => n === b[i]);

const list = (nodes: readonly string[]): string => (nodes.length === 0 ? "none" : nodes.join(", "));

export interface DecidedAnnouncers {
  /** The elected Layer 2 owner; undefined when Layer 2 does not apply or nobody qualifies. */
  readonly layer2Owner: string | undefined;
  readonly layer2Applies: boolean;
  /** Nodes that announce over BGP, sorted. */
  readonly bgpNodes: readonly string[];
  readonly bgpApplies: boolean;
}

export function observedStep(
  snapshot: ExplainSnapshot,
  namespace: string,
  name: string,
  decided: DecidedAnnouncers,
): Step {
  const problems: string[] = [];
  const seen: string[] = [];
  let code: Step["code"] = "asDecided";
  const l2 = nodesReporting(snapshot.serviceL2Statuses, namespace, name);
  if (decided.layer2Applies) {
    const want = decided.layer2Owner === undefined ? [] : [decided.layer2Owner];
    seen.push(`layer2 from ${list(l2)}`);
    if (!sameNodes(l2, want)) {
      code = l2.length === 0 ? "notAnnounced" : "announcedElsewhere";
      problems.push(
        l2.length === 0
          ? `no speaker reports announcing it in layer2 (ServiceL2Status); the rules elect ${list(want)}: is that node's speaker running and on this configuration?`
          : `layer2 is reported from ${list(l2)}, but the rules elect ${list(want)}`,
      );
    }
  }
  const bgp = nodesReporting(snapshot.serviceBGPStatuses, namespace, name);
  if (decided.bgpApplies) {
    seen.push(`bgp from ${list(bgp)}`);
    if (!sameNodes(bgp, decided.bgpNodes)) {
      if (code === "asDecided") code = bgp.length === 0 ? "notAnnounced" : "announcedElsewhere";
      problems.push(
        `bgp is reported from ${list(bgp)} (ServiceBGPStatus), but the rules announce from ${list(decided.bgpNodes)}`,
      );
    }
  }
  if (problems.length > 0) return { step: "observed", verdict: "fail", code, text: problems.join("; ") };
  return {
    step: "observed",
    verdict: "ok",
    code,
    text: `speakers report what the rules decide: ${seen.join("; ")}`,
  };
}
