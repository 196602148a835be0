export * from "./decision.ts";
export * from "./events.ts";
export * from "./failure.ts";
export * from "./families.ts";
export * from "./plan.ts";
export * from "./request.ts";
