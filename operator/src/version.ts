import pkg from "../../package.json" with { type: "json" };

/** The product version, from package.json (so `bun build --compile` embeds it). */
export const VERSION: string = pkg.version;
