/**
 * Step 5, announcing: the elected Layer 2 owner and its interfaces, the BGP nodes and their peers.
 * It fails when nobody can be heard: no owner and no BGP node, every BGP session down, or an owner
 * answering on none of the interfaces its L2Advertisements name (the speaker's announceFailed).
 */
import type { NodeDecisions } from "./node-rows.ts";
import { nodeVerdictText } from "./node-texts.ts";
import type { Step } from "./verdict.ts";

function announcingText(decisions: NodeDecisions): { text: string; owner?: string; bgpNodes: string[] } {
  const parts: string[] = [];
  const l2 = decisions.layer2.find((d) => d.announce);
  const owner = decisions.layer2[0]?.owner;
  if (decisions.layer2.length > 0) {
    if (l2?.announce) {
      const on = l2.interfaces.length === 0 ? "every eligible interface" : l2.interfaces.join(", ");
      parts.push(`layer2 from ${l2.owner} on ${on}`);
    } else parts.push("layer2: nobody");
  }
  const bgpNodes = decisions.rows.filter((r) => r.bgp?.code === "announces").map((r) => r.node);
  if (decisions.bgp.length > 0) {
    const each = decisions.rows
      .filter((r) => r.bgp?.code === "announces")
      .map((r) => `${r.node} ${nodeVerdictText(r.bgp!)}`);
    parts.push(each.length === 0 ? "bgp: nobody" : `bgp: ${each.join("; ")}`);
  }
  return { text: parts.join("; "), owner: l2?.announce ? owner : undefined, bgpNodes };
}

export interface Announcing {
  readonly step: Step;
  /** The elected Layer 2 owner; undefined when none. */
  readonly owner: string | undefined;
  readonly bgpNodes: readonly string[];
  readonly text: string;
}

export function announcingStep(decisions: NodeDecisions): Announcing {
  const announcing = announcingText(decisions);
  const sessionsAllDown =
    decisions.bgp.length > 0 &&
    announcing.owner === undefined &&
    decisions.rows.every(
      (r) => r.bgp?.code !== "announces" || (r.bgp.peersDown?.length ?? 0) === (r.bgp.peers?.length ?? 0),
    );
  // An owner that answers on none of the named interfaces announces to nobody (announceFailed).
  const unheard = decisions.layer2.find((d) => d.announce);
  const ownerRow = decisions.rows.find((r) => r.node === announcing.owner);
  const l2Unheard = ownerRow?.layer2?.code === "interfaceNotAvailable" && unheard?.announce === true;
  const bgpHeard = announcing.bgpNodes.length > 0 && !sessionsAllDown;
  const nobody = (announcing.owner === undefined || l2Unheard) && !bgpHeard;
  const step: Step = !nobody
    ? { step: "announcing", verdict: "ok", code: "announcing", text: announcing.text }
    : l2Unheard && unheard?.announce
      ? {
          step: "announcing",
          verdict: "fail",
          code: "interfaceNotAvailable",
          text: `${announcing.owner} is elected but answers on none of the interfaces its L2Advertisements name (${unheard.interfaces.join(", ")}): nobody hears it`,
        }
      : {
          step: "announcing",
          verdict: "fail",
          code: "nobodyAnnounces",
          text: sessionsAllDown
            ? `every BGP session it would be announced on is down: ${announcing.text}`
            : `no node announces it: ${announcing.text}`,
        };
  return {
    step,
    owner: announcing.owner,
    bgpNodes: announcing.bgpNodes,
    text: announcing.text,
  };
}
