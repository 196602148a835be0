/**
 * A REST resource: where its collection lives and what its objects are called. The URL layout is
 * the API conventions' (`/api/v1/...` for the legacy core group, `/apis/<group>/<version>/...`).
 */
export interface ResourceType {
  /** "" for the core group. */
  readonly group: string;
  readonly version: string;
  /** Lower-case plural used in URLs, e.g. "configmaps". */
  readonly plural: string;
  readonly kind: string;
  readonly namespaced: boolean;
}

export function apiVersionOf(resource: ResourceType): string {
  return resource.group ? `${resource.group}/${resource.version}` : resource.version;
}

/**
 * The URL path of a collection (no name) or object (with name), optionally of a subresource.
 * A namespaced resource without a namespace addresses all namespaces (list/watch only).
 */
export function resourcePath(
  resource: ResourceType,
  location: { namespace?: string; name?: string; subresource?: string } = {},
): string {
  const root = resource.group ? `/apis/${resource.group}/${resource.version}` : `/api/${resource.version}`;
  const parts = [root];
  if (resource.namespaced && location.namespace) parts.push("namespaces", enc(location.namespace));
  parts.push(resource.plural);
  if (location.name !== undefined) parts.push(enc(location.name));
  if (location.subresource) parts.push(location.subresource);
  return parts.join("/");
}

const enc = encodeURIComponent;

function core(plural: string, kind: string, namespaced: boolean): ResourceType {
  return { group: "", version: "v1", plural, kind, namespaced };
}

function metallb(plural: string, kind: string, version = "v1beta1"): ResourceType {
  return { group: "metallb.io", version, plural, kind, namespaced: true };
}

/** The resources metalbun reads or writes. */
export const resources = {
  configMaps: core("configmaps", "ConfigMap", true),
  events: core("events", "Event", true),
  namespaces: core("namespaces", "Namespace", false),
  nodes: core("nodes", "Node", false),
  pods: core("pods", "Pod", true),
  secrets: core("secrets", "Secret", true),
  serviceAccounts: core("serviceaccounts", "ServiceAccount", true),
  services: core("services", "Service", true),
  endpointSlices: {
    group: "discovery.k8s.io",
    version: "v1",
    plural: "endpointslices",
    kind: "EndpointSlice",
    namespaced: true,
  },
  ipAddressPools: metallb("ipaddresspools", "IPAddressPool"),
  l2Advertisements: metallb("l2advertisements", "L2Advertisement"),
  bgpAdvertisements: metallb("bgpadvertisements", "BGPAdvertisement"),
  bgpPeers: metallb("bgppeers", "BGPPeer", "v1beta2"),
  bfdProfiles: metallb("bfdprofiles", "BFDProfile"),
  communities: metallb("communities", "Community"),
  serviceL2Statuses: metallb("servicel2statuses", "ServiceL2Status"),
  serviceBGPStatuses: metallb("servicebgpstatuses", "ServiceBGPStatus"),
  configurationStates: metallb("configurationstates", "ConfigurationState"),
} as const satisfies Record<string, ResourceType>;
