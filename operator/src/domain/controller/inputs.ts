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
  /** Optional: what a caller with a keyed store knows about which Services changed. */
  readonly serviceIndex?: ServiceIndex;
}

/**
 * A hint from a caller that keeps its Services in a keyed store. `byKey` holds exactly
 * `services`, by `namespace/name`; when `changed` is given, only the Services under
 * `changed.keys` may differ from those of `changed.since` (the `byKey` of an earlier input).
 * The outcome is the same with or without it; with it, a reconcile after a small change costs the
 * change, not the size of the cluster.
 */
export interface ServiceIndex {
  readonly byKey: ReadonlyMap<string, Service>;
  readonly changed?: {
    readonly since: ReadonlyMap<string, Service>;
    readonly keys: ReadonlySet<string>;
  };
}
