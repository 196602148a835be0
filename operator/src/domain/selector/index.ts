export * from "./label-selector.ts";
