export * from "./bgp-decision.ts";
export * from "./common.ts";
export * from "./l2-decision.ts";
export * from "./reasons.ts";
export * from "./request.ts";
export * from "./view.ts";
