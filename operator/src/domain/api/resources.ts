import { METALLB_GROUP, V1BETA1, V1BETA2 } from "./group.ts";

/**
 * The nine metallb.io kinds with the names the apiserver knows them by. One table, so the client
 * layer, the CRD files and the tests cannot drift apart (a test compares it with crds/).
 */
export type MetallbKind =
  | "IPAddressPool"
  | "L2Advertisement"
  | "BGPAdvertisement"
  | "BGPPeer"
  | "BFDProfile"
  | "Community"
  | "ServiceL2Status"
  | "ServiceBGPStatus"
  | "ConfigurationState";

export interface MetallbResource {
  readonly group: typeof METALLB_GROUP;
  readonly kind: MetallbKind;
  readonly listKind: string;
  readonly plural: string;
  readonly singular: string;
  /** The version objects are stored at, and the one metalbun reads and writes. */
  readonly version: string;
  /** Every served version, storage version included. */
  readonly servedVersions: readonly string[];
  /** The CRD's file under crds/. */
  readonly file: string;
}

function resource(kind: MetallbKind, plural: string, version: string = V1BETA1): MetallbResource {
  return {
    group: METALLB_GROUP,
    kind,
    listKind: `${kind}List`,
    plural,
    singular: kind.toLowerCase(),
    version,
    servedVersions: version === V1BETA2 ? [V1BETA1, V1BETA2] : [version],
    file: `${plural}.yaml`,
  };
}

export const IP_ADDRESS_POOLS = resource("IPAddressPool", "ipaddresspools");
export const L2_ADVERTISEMENTS = resource("L2Advertisement", "l2advertisements");
export const BGP_ADVERTISEMENTS = resource("BGPAdvertisement", "bgpadvertisements");
export const BGP_PEERS = resource("BGPPeer", "bgppeers", V1BETA2);
export const BFD_PROFILES = resource("BFDProfile", "bfdprofiles");
export const COMMUNITIES = resource("Community", "communities");
export const SERVICE_L2_STATUSES = resource("ServiceL2Status", "servicel2statuses");
export const SERVICE_BGP_STATUSES = resource("ServiceBGPStatus", "servicebgpstatuses");
export const CONFIGURATION_STATES = resource("ConfigurationState", "configurationstates");

export const METALLB_RESOURCES: readonly MetallbResource[] = [
  IP_ADDRESS_POOLS,
  L2_ADVERTISEMENTS,
  BGP_ADVERTISEMENTS,
  BGP_PEERS,
  BFD_PROFILES,
  COMMUNITIES,
  SERVICE_L2_STATUSES,
  SERVICE_BGP_STATUSES,
  CONFIGURATION_STATES,
];
