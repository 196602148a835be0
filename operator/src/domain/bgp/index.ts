export * from "./password.ts";
export * from "./peer-problems.ts";
export * from "./prefix.ts";
export * from "./routes.ts";
export * from "./sessions.ts";
export * from "./types.ts";
