/**
 * Step 4, nodes: for every node, whether it may announce the Service and why not, per protocol.
 * Each verdict is the speaker's own decision (l2DecisionFor, bgpDecisionFor, bgpRoutesFor) taken
 * as if that node's speaker ran it on this snapshot.
 */
import { type BgpDecision, bgpAdvertisementsFor, bgpDecisionFor } from "../announce/bgp-decision.ts";
import { type L2Decision, l2DecisionFor } from "../announce/l2-decision.ts";
import type { AnnounceRequest } from "../announce/request.ts";
import type { AnnounceView } from "../announce/view.ts";
import { bgpRoutesFor } from "../bgp/routes.ts";
import { bgpSessionsFor } from "../bgp/sessions.ts";
import type { Pool } from "../config/types.ts";
import { l2AdvertisementsFor } from "../election/advertisements.ts";
import { segmentsHolding } from "../election/segments.ts";
import { checkInterfaces } from "../speaker/interface-check.ts";
import { assumedSecrets } from "./assumed-secrets.ts";
import type { ExplainOptions, ExplainSnapshot } from "./snapshot.ts";
import { layer2InterfacesOf, peersDown, speakerNodes, speakerOn } from "./speakers.ts";
import type { NodeProtocolVerdict, NodeRow } from "./verdict.ts";

export interface NodeDecisions {
  readonly rows: readonly NodeRow[];
  /** One Layer 2 decision per node (same owner on every one), when an L2Advertisement covers it. */
  readonly layer2: readonly L2Decision[];
  readonly bgp: readonly BgpDecision[];
}

/** Nodes known from Node objects and from speakers, in name order. */
function nodeNames(view: AnnounceView, snapshot: ExplainSnapshot): string[] {
  const names = new Set(view.nodes.keys());
  for (const node of speakerNodes(snapshot)) names.add(node);
  return [...names].sort();
}

function layer2Verdict(
  decision: L2Decision,
  node: string,
  snapshot: ExplainSnapshot,
  view: AnnounceView,
): NodeProtocolVerdict {
  if (decision.announce) {
    // The speaker's own check (announceFailed), on the interfaces it reports answering on.
    const local = layer2InterfacesOf(snapshot, node);
    const check = checkInterfaces([decision], node, local, new Map());
    return { code: check.events.length > 0 ? "interfaceNotAvailable" : "announces" };
  }
  if (decision.reason !== "notOwner") return { code: decision.reason };
  // The speakers say notOwner both for a candidate that ranks below the owner and for a node
  // whose speaker is no live member; the candidate list tells them apart.
  if (decision.candidates.includes(node)) return { code: "standby" };
  // A running speaker the others hear, but not on the segment that holds the IP.
  const firstIP = decision.ips[0];
  const segments = firstIP === undefined ? [] : segmentsHolding(firstIP, view.segments);
  if (
    speakerOn(snapshot, node) === "running" &&
    segments.length > 0 &&
    !segments.some((s) => s.members.has(node))
  )
    return { code: "notHeardOnSegment" };
  return { code: "speakerNotRunning" };
}

function bgpVerdict(
  decision: BgpDecision,
  node: string,
  request: AnnounceRequest,
  pool: Pool | undefined,
  snapshot: ExplainSnapshot,
  options: ExplainOptions,
  view: AnnounceView,
): NodeProtocolVerdict {
  if (!decision.announce) return { code: decision.reason };
  const speaker = speakerOn(snapshot, node);
  if (speaker === "absent" || speaker === "notReady" || speaker === "notAlive")
    return { code: "speakerNotRunning" };
  const config = view.config;
  const facts = view.nodes.get(node);
  if (config === undefined || pool === undefined) return { code: "noConfig" };
  const secrets = snapshot.secrets ?? assumedSecrets(snapshot.bgpPeers);
  const sessions = bgpSessionsFor(config, { labels: facts?.labels }, secrets, {
    metallbNamespace: options.namespace,
  });
  const routes = bgpRoutesFor({
    node,
    sessions: sessions.sessions,
    services: [{ key: request.key, ips: request.ips, pool, labels: request.labels }],
  }).services.get(request.key);
  if (routes === undefined || routes.peers.length === 0)
    return { code: routes?.reason ?? "noMatchingAdvertisement" };
  return { code: "announces", peers: routes.peers, peersDown: peersDown(snapshot, node, routes.peers) };
}

/**
 * Non-revertive mode: the nodes whose live speaker reports announcing the Service now, which keep
 * it while they stay candidates (what a speaker without memory reads too; speaker/reconcile.ts).
 */
function incumbents(request: AnnounceRequest, snapshot: ExplainSnapshot): string[] {
  const nodes: string[] = [];
  for (const object of snapshot.serviceL2Statuses) {
    const s = object.status;
    if (s?.node === undefined || s.serviceName !== request.name || s.serviceNamespace !== request.namespace)
      continue;
    if (speakerOn(snapshot, s.node) === "running" || speakerOn(snapshot, s.node) === "unknown")
      nodes.push(s.node);
  }
  return nodes.sort();
}

export function nodeDecisions(
  request: AnnounceRequest,
  pool: Pool | undefined,
  view: AnnounceView,
  snapshot: ExplainSnapshot,
  options: ExplainOptions,
): NodeDecisions {
  const current = options.nonRevertive ? incumbents(request, snapshot) : undefined;
  const hasL2 = pool !== undefined && l2AdvertisementsFor(pool, request.labels).length > 0;
  const hasBgp = pool !== undefined && bgpAdvertisementsFor(pool, request.labels).length > 0;
  const rows: NodeRow[] = [];
  const layer2: L2Decision[] = [];
  const bgp: BgpDecision[] = [];
  for (const node of nodeNames(view, snapshot)) {
    const asNode: AnnounceView = { ...view, self: node };
    const row: { -readonly [K in keyof NodeRow]: NodeRow[K] } = { node, speaker: speakerOn(snapshot, node) };
    if (hasL2) {
      const decision = l2DecisionFor(request, asNode, current);
      layer2.push(decision);
      row.layer2 = layer2Verdict(decision, node, snapshot, view);
    }
    if (hasBgp) {
      const decision = bgpDecisionFor(request, asNode);
      bgp.push(decision);
      row.bgp = bgpVerdict(decision, node, request, pool, snapshot, options, view);
    }
    rows.push(row);
  }
  return { rows, layer2, bgp };
}
