/**
 * The Event a speaker emits on a Service it starts announcing (MetalLB §3.4): Normal,
 * reason `nodeAssigned`, `announcing from node "<node>" with protocol "layer2"` (Go's %q on both),
 * so `kubectl describe svc` reads exactly as with MetalLB.
 */
import { goQuote } from "../allocator/go-format.ts";

export interface SpeakerEvent {
  readonly type: "Normal";
  readonly reason: "nodeAssigned";
  readonly message: string;
}

export function nodeAssigned(node: string, protocol: "layer2" = "layer2"): SpeakerEvent {
  return {
    type: "Normal",
    reason: "nodeAssigned",
    message: `announcing from node ${goQuote(node)} with protocol ${goQuote(protocol)}`,
  };
}
