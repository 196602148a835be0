export * from "./address.ts";
export * from "./buggy.ts";
export * from "./cidr.ts";
export * from "./count.ts";
export * from "./family.ts";
export * from "./iterate.ts";
export * from "./range.ts";
export * from "./result.ts";
