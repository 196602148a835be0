/**
 * The shape of an explanation: a chain of steps, each with a verdict, a reason code (a closed
 * union, the same strings in JSON output and tests) and a sentence for people.
 */
import type { AllocationFailureCode } from "../allocator/failure.ts";
import type { BgpWithdrawReason, L2WithdrawReason } from "../announce/reasons.ts";
import type { BgpRouteWithdrawReason } from "../bgp/routes.ts";

export type StepName = "ours" | "allocation" | "advertisement" | "nodes" | "announcing" | "observed";

/** ok: as it should be; fail: this step stops the Service; skip: an earlier step already failed. */
export type Verdict = "ok" | "fail" | "skip";

export type OursCode = "ours" | "notLoadBalancer" | "loadBalancerClassMismatch" | "serviceNotFound";

export type AllocationCode =
  | "holdsIPs"
  /** The controller decided IPs the Service does not carry yet (in flight, or no controller). */
  | "assignmentPending"
  | "noConfig"
  | "noPools"
  | "noClusterIPs"
  | "notEnoughClusterIPs"
  | AllocationFailureCode;

export type AdvertisementCode = "advertised" | "noAdvertisement" | "sharedIPWithServiceSelector";

export type NodesCode = "candidates" | "noEndpoints" | "noCandidateNode";

export type AnnouncingCode =
  | "announcing"
  | "nobodyAnnounces"
  /** The Layer 2 owner answers on none of the interfaces its L2Advertisements name. */
  | "interfaceNotAvailable";

export type ObservedCode =
  | "asDecided"
  /** No speaker reports announcing the Service (yet). */
  | "notAnnounced"
  /** A speaker reports announcing from a node the rules did not elect (or a BGP node set that differs). */
  | "announcedElsewhere";

export type StepCode =
  | OursCode
  | AllocationCode
  | AdvertisementCode
  | NodesCode
  | AnnouncingCode
  | ObservedCode;

export interface Step {
  readonly step: StepName;
  readonly verdict: Verdict;
  readonly code: StepCode;
  readonly text: string;
}

/** Why a node announces a Service, or why not (the speakers' own reasons, plus the speaker's presence). */
export type NodeCode =
  | "announces"
  /** A Layer 2 candidate ranked below the owner. */
  | "standby"
  /** Elected, but it answers on none of the interfaces the L2Advertisements name (announceFailed). */
  | "interfaceNotAvailable"
  | "speakerNotRunning"
  /** Its speaker runs, but the others do not hear it on the segment (another NIC) holding the IP. */
  | "notHeardOnSegment"
  | Exclude<L2WithdrawReason, "notOwner">
  | BgpWithdrawReason
  | BgpRouteWithdrawReason;

export interface NodeProtocolVerdict {
  readonly code: NodeCode;
  /** BGP: the peers this node advertises the Service to. */
  readonly peers?: readonly string[];
  /** BGP: those of `peers` whose session this node's speaker reports down. */
  readonly peersDown?: readonly string[];
}

export interface NodeRow {
  readonly node: string;
  /**
   * running; notReady (its Pod); notAlive (the other speakers do not hear it); absent (no Pod
   * there); unknown (neither Pods nor membership reports to tell).
   */
  readonly speaker: "running" | "notReady" | "notAlive" | "absent" | "unknown";
  /** Absent when no L2Advertisement covers the Service. */
  readonly layer2?: NodeProtocolVerdict;
  /** Absent when no BGPAdvertisement covers the Service. */
  readonly bgp?: NodeProtocolVerdict;
}

export interface ServiceExplanation {
  readonly service: string;
  /** One line: what is wrong, or that all is well. */
  readonly summary: string;
  /** The Service is announced as the rules decide: exit code 0. */
  readonly healthy: boolean;
  readonly ips: readonly string[];
  readonly pool: string | undefined;
  readonly steps: readonly Step[];
  readonly nodes: readonly NodeRow[];
}
