export * from "./advertisements.ts";
export * from "./candidates.ts";
export * from "./node-facts.ts";
export * from "./owner.ts";
export * from "./serving-endpoints.ts";
export * from "./sha256.ts";
