export * from "./l2-decision.ts";
export * from "./reasons.ts";
export * from "./request.ts";
export * from "./view.ts";
