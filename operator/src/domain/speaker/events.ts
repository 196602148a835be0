/**
 * The Events a speaker emits (MetalLB §3.4). On a Service it starts announcing: Normal,
 * reason `nodeAssigned`, `announcing from node "<node>" with protocol "layer2"` (Go's %q on both),
 * so `kubectl describe svc` reads exactly as with MetalLB; BGP says `with protocol "bgp"`.
 */
import { goQuote } from "../allocator/go-format.ts";

export type SpeakerEvent =
  | { readonly type: "Normal"; readonly reason: "nodeAssigned"; readonly message: string }
  | { readonly type: "Warning"; readonly reason: "announceFailed"; readonly message: string };

export function nodeAssigned(node: string, protocol: "layer2" | "bgp"): SpeakerEvent {
  return {
    type: "Normal",
    reason: "nodeAssigned",
    message: `announcing from node ${goQuote(node)} with protocol ${goQuote(protocol)}`,
  };
}

/**
 * MetalLB's Warning when an L2Advertisement names interfaces this node does not have: the IP is
 * not answered for here (its grammar, "doesn't exist", is MetalLB's, kept to the letter).
 */
export function announceFailed(ip: string, node: string, protocol: "layer2" = "layer2"): SpeakerEvent {
  return {
    type: "Warning",
    reason: "announceFailed",
    message: `the interfaces specified by LB IP ${goQuote(ip)} doesn't exist in assigned node ${goQuote(node)} with protocol ${goQuote(protocol)}`,
  };
}
