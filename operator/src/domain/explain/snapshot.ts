/**
 * What `metalbun explain` reads: one consistent look at the objects the controller and the
 * speakers decide from, plus what they report back (status objects, ConfigurationStates) and
 * which nodes run a speaker. Plain objects as the apiserver returns them; no I/O here.
 */
import type { BFDProfile } from "../api/bfd-profile.ts";
import type { BGPAdvertisement } from "../api/bgp-advertisement.ts";
import type { BGPPeer } from "../api/bgp-peer.ts";
import type { Community } from "../api/community.ts";
import type { ConfigurationState } from "../api/configuration-state.ts";
import type { EndpointSlice, Namespace, Node, Service } from "../api/core.ts";
import type { IPAddressPool } from "../api/ip-address-pool.ts";
import type { L2Advertisement } from "../api/l2-advertisement.ts";
import type { ServiceBGPStatus } from "../api/service-bgp-status.ts";
import type { ServiceL2Status } from "../api/service-l2-status.ts";
import type { BgpSecrets } from "../bgp/password.ts";

/**
 * The speaker of one node as the apiserver shows it (its Pod): running and ready, present but
 * not ready (crash-looping, starting, terminating), or nothing scheduled there.
 */
export type SpeakerState = "running" | "notReady";

export interface SpeakerPresence {
  readonly node: string;
  readonly state: SpeakerState;
}

export interface ExplainSnapshot {
  readonly services: readonly Service[];
  readonly endpointSlices: readonly EndpointSlice[];
  readonly nodes: readonly Node[];
  readonly namespaces: readonly Namespace[];
  readonly ipAddressPools: readonly IPAddressPool[];
  readonly l2Advertisements: readonly L2Advertisement[];
  readonly bgpAdvertisements: readonly BGPAdvertisement[];
  readonly bgpPeers: readonly BGPPeer[];
  readonly bfdProfiles: readonly BFDProfile[];
  readonly communities: readonly Community[];
  readonly serviceL2Statuses: readonly ServiceL2Status[];
  readonly serviceBGPStatuses: readonly ServiceBGPStatus[];
  readonly configurationStates: readonly ConfigurationState[];
  /**
   * Speakers by node, from their Pods. undefined: no speaker Pod found at all (speakers run
   * outside Kubernetes, or the reader may not list Pods), so every node is assumed to run one,
   * as the speakers themselves assume with membership disabled.
   */
  readonly speakers: readonly SpeakerPresence[] | undefined;
  /** BGPPeer password Secrets; absent (the usual case): assumed valid (assumed-secrets.ts). */
  readonly secrets?: BgpSecrets;
}

export interface ExplainOptions {
  /** The running controller's and speakers' --lb-class ("" = only Services without a class). */
  readonly loadBalancerClass: string;
  /** The speakers' --ignore-exclude-lb. */
  readonly ignoreExcludeLB: boolean;
  /**
   * The speakers' --l2-non-revertive: an IP stays with the node announcing it now (its
   * ServiceL2Status) while that node is a candidate. Absent: false (MetalLB's revertive rule).
   */
  readonly nonRevertive?: boolean;
  /** The MetalLB namespace (BGPPeer password Secrets must live there). */
  readonly namespace: string;
  /** RFC 3339; only fills condition times of the reconcilers' outcomes, never shown. */
  readonly now: string;
}
