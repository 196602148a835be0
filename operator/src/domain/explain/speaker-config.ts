/**
 * The configuration as the speakers parse it: with the Nodes, so that advertisement and peer
 * nodeSelectors resolve to node names (the controller parses it without them: it only
 * allocates). Same parser, same inputs as speaker/reconcile.ts.
 */
import { parseConfigMemo } from "../config/config-memo.ts";
import type { Config } from "../config/types.ts";
import type { ExplainSnapshot } from "./snapshot.ts";

export function speakerConfigOf(snapshot: ExplainSnapshot): Config | undefined {
  const parsed = parseConfigMemo(snapshot, undefined).result;
  return parsed.ok ? parsed.config : undefined;
}
