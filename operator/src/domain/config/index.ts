export * from "./backend.ts";
export * from "./community-value.ts";
export * from "./errors.ts";
export * from "./parse-config.ts";
export * from "./types.ts";
