import type { BFDProfile } from "../api/bfd-profile.ts";
import type { BGPAdvertisement } from "../api/bgp-advertisement.ts";
import type { BGPPeer } from "../api/bgp-peer.ts";
import type { Community } from "../api/community.ts";
import type { Namespace, Service } from "../api/core.ts";
import type { IPAddressPool } from "../api/ip-address-pool.ts";
import type { L2Advertisement } from "../api/l2-advertisement.ts";

/** Everything the controller watches, as one level-triggered view (objects only, no events). */
export interface ControllerInputs {
  readonly services: readonly Service[];
  readonly namespaces: readonly Namespace[];
  readonly ipAddressPools: readonly IPAddressPool[];
  readonly l2Advertisements: readonly L2Advertisement[];
  readonly bgpAdvertisements: readonly BGPAdvertisement[];
  readonly bgpPeers: readonly BGPPeer[];
  readonly bfdProfiles: readonly BFDProfile[];
  readonly communities: readonly Community[];
}
