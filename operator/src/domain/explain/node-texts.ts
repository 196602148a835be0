/** Node verdicts in words, for tables and for the first line. */
import type { NodeCode, NodeProtocolVerdict } from "./verdict.ts";

const TEXTS: Readonly<Record<NodeCode, string>> = {
  announces: "announces",
  standby: "candidate (another node ranks first)",
  interfaceNotAvailable: "elected, but answers on none of the interfaces its L2Advertisements name",
  speakerNotRunning: "no running speaker",
  notHeardOnSegment: "not heard on the segment (announcing interface) that holds the IP",
  notLoadBalancer: "not a LoadBalancer Service",
  loadBalancerClassMismatch: "another loadBalancerClass",
  noIPAllocated: "no IP assigned yet",
  invalidIP: "no valid IP in the status",
  ipNotAllowed: "its IP is in no pool",
  noConfig: "no valid configuration",
  noEndpoints: "no ready endpoint anywhere",
  nodeNetworkUnavailable: "condition NetworkUnavailable=True",
  nodeLabeledExcludeBalancers: "labelled node.kubernetes.io/exclude-from-external-load-balancers",
  noLocalEndpoints: "externalTrafficPolicy Local and no ready endpoint here",
  sharedIPWithServiceSelector: "shared IP with an advertisement that uses serviceSelectors",
  noMatchingAdvertisement: "not selected by the advertisements' nodeSelectors",
  noPeerForAdvertisement: "no BGPPeer session of this node is targeted by the advertisements",
  familyNotCarried: "no session carries the IP's family",
};

export function nodeCodeText(code: NodeCode): string {
  return TEXTS[code];
}

export function nodeVerdictText(verdict: NodeProtocolVerdict): string {
  if (verdict.code !== "announces" || verdict.peers === undefined) return nodeCodeText(verdict.code);
  const down = new Set(verdict.peersDown ?? []);
  return `announces to ${verdict.peers.map((p) => (down.has(p) ? `${p} (session down)` : p)).join(", ")}`;
}
