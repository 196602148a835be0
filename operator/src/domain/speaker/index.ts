export * from "./announced-gauge.ts";
export * from "./configuration-state.ts";
export * from "./desired.ts";
export * from "./events.ts";
export * from "./inputs.ts";
export * from "./orphans.ts";
export * from "./reconcile.ts";
