/** Messages between a DecodeHost (kube/decode-host.ts) and its Worker (kube/decode-worker.ts). */
import type { ProjectionName } from "./projecting.ts";

export type DecodeRequest =
  | { readonly type: "list"; readonly id: number; readonly projection: ProjectionName; readonly text: string }
  | {
      readonly type: "events";
      readonly id: number;
      readonly projection: ProjectionName;
      readonly lines: readonly string[];
    }
  | { readonly type: "trim"; readonly id: number };

export type DecodeReply =
  | { readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly id: number; readonly ok: false; readonly message: string; readonly excerpt: string };
