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
  /**
   * Nodes whose speaker is not running: a status object they left behind (killed before they
   * could delete it) is stale, not a second announcer, and is named as such.
   */
  readonly deadSpeakers: ReadonlySet<string>;
}

/** Reports from live speakers, and the stale ones. */
function splitStale(
  nodes: readonly string[],
  dead: ReadonlySet<string>,
): { live: string[]; stale: string[] } {
  return { live: nodes.filter((n) => !dead.has(n)), stale: nodes.filter((n) => dead.has(n)) };
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
  const reportedL2 = splitStale(
    nodesReporting(snapshot.serviceL2Statuses, namespace, name),
    decided.deadSpeakers,
  );
  const l2 = reportedL2.live;
  const stale = [...reportedL2.stale];
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
  const reportedBgp = splitStale(
    nodesReporting(snapshot.serviceBGPStatuses, namespace, name),
    decided.deadSpeakers,
  );
  const bgp = reportedBgp.live;
  for (const node of reportedBgp.stale) if (!stale.includes(node)) stale.push(node);
  if (decided.bgpApplies) {
    seen.push(`bgp from ${list(bgp)}`);
    if (!sameNodes(bgp, decided.bgpNodes)) {
      if (code === "asDecided") code = bgp.length === 0 ? "notAnnounced" : "announcedElsewhere";
      problems.push(
        `bgp is reported from ${list(bgp)} (ServiceBGPStatus), but the rules announce from ${list(decided.bgpNodes)}`,
      );
    }
  }
  const leftovers =
    stale.length === 0
      ? ""
      : ` (status objects left by the dead speaker of ${stale.sort().join(", ")} ignored)`;
  if (problems.length > 0)
    return { step: "observed", verdict: "fail", code, text: `${problems.join("; ")}${leftovers}` };
  return {
    step: "observed",
    verdict: "ok",
    code,
    text: `speakers report what the rules decide: ${seen.join("; ")}${leftovers}`,
  };
}
