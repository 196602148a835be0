export * from "./cluster-summary.ts";
export * from "./explain-service.ts";
export * from "./node-texts.ts";
export * from "./snapshot.ts";
export * from "./verdict.ts";
