/** Label keys MetalLB sets on its own objects or reads from Nodes. */

/** On ServiceL2Status / ServiceBGPStatus: the node that announces. */
export const LABEL_NODE = "metallb.io/node";
/** On ServiceL2Status / ServiceBGPStatus: the announced Service's name. */
export const LABEL_SERVICE_NAME = "metallb.io/service-name";
/** On ServiceL2Status / ServiceBGPStatus: the announced Service's namespace. */
export const LABEL_SERVICE_NAMESPACE = "metallb.io/service-namespace";
/** On ConfigurationState: `controller` or `speaker`. */
export const LABEL_COMPONENT_TYPE = "metallb.io/component-type";
/** On ConfigurationState of a speaker: its node. */
export const LABEL_NODE_NAME = "metallb.io/node-name";

export type ComponentType = "controller" | "speaker";

/**
 * Kubernetes' well-known Node label: its mere presence keeps a node from announcing any
 * LoadBalancer address (unless the speaker runs with --ignore-exclude-lb).
 */
export const LABEL_EXCLUDE_FROM_EXTERNAL_LOAD_BALANCERS =
  "node.kubernetes.io/exclude-from-external-load-balancers";
