import type { AnnounceRequest } from "../announce/request.ts";
import type { BFDProfile } from "../api/bfd-profile.ts";
import type { BGPAdvertisement } from "../api/bgp-advertisement.ts";
import type { BGPPeer } from "../api/bgp-peer.ts";
import type { Community } from "../api/community.ts";
import type { EndpointSlice, Namespace, Node, Service } from "../api/core.ts";
import type { IPAddressPool } from "../api/ip-address-pool.ts";
import type { L2Advertisement } from "../api/l2-advertisement.ts";
import type { ServiceL2Status } from "../api/service-l2-status.ts";
import type { BgpSecrets } from "../bgp/password.ts";
import type { BgpSessionStatus } from "../bgp/types.ts";
import type { MemberSegment } from "../election/segments.ts";

/** Everything one speaker decides from, as one level-triggered view (objects only, no events). */
export interface SpeakerInputs {
  /** This speaker's node (METALLB_NODE_NAME). */
  readonly nodeName: string;
  /**
   * Node names of the live speakers (memberlist member names). undefined: membership disabled,
   * so every known Node is assumed to run a speaker (MetalLB 0.15.0).
   */
  readonly members: readonly string[] | undefined;
  /**
   * The live speakers heard on this node's other announcing segments (each with its subnets):
   * they elect the IPs inside those subnets. Absent: none.
   */
  readonly segments?: readonly MemberSegment[];
  /**
   * The Services, or what the speaker keeps of each: its announce request (the speaker's store
   * holds only that; tests and tools hand Services).
   */
  readonly services: readonly (Service | AnnounceRequest)[];
  readonly endpointSlices: readonly EndpointSlice[];
  /** Resolve advertisement nodeSelectors, and carry NetworkUnavailable / the exclude label. */
  readonly nodes: readonly Node[];
  readonly namespaces: readonly Namespace[];
  readonly ipAddressPools: readonly IPAddressPool[];
  readonly l2Advertisements: readonly L2Advertisement[];
  readonly bgpAdvertisements: readonly BGPAdvertisement[];
  readonly bgpPeers: readonly BGPPeer[];
  readonly bfdProfiles: readonly BFDProfile[];
  readonly communities: readonly Community[];
  /**
   * ServiceL2Status objects of every node, as observed. Only non-revertive mode reads them: after
   * a restart, before it has any memory, a speaker keeps an IP where some node announces it now.
   */
  readonly serviceL2Statuses?: readonly ServiceL2Status[];
  /**
   * Names of the interfaces this speaker answers on now (the announcer's responders). undefined:
   * not known yet, nothing is reported. An announced IP whose L2Advertisements name only other
   * interfaces gets MetalLB's `announceFailed` Warning.
   */
  readonly localInterfaces?: readonly string[];
  /**
   * Secrets of the MetalLB namespace by name (type and base64 data): BGPPeer passwordSecrets are
   * read from them. Absent: none.
   */
  readonly secrets?: BgpSecrets;
  /** This node's BGP sessions as the announcer reports them (the ConfigurationState shows them). */
  readonly bgpSessions?: readonly BgpSessionStatus[];
}
