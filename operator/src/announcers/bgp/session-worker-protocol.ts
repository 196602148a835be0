/**
 * Messages between the main thread (session-worker-host.ts) and the BGP session Worker
 * (session-worker.ts). Everything is plain data: specs, route deltas, statuses, log fields. Each
 * session has a number the host chose; requests that wait for an answer carry a request number.
 */
import type { BgpSessionSpec, BgpSessionStatus } from "../../domain/bgp/types.ts";
import type { StopCause } from "./fsm.ts";
import type { InterfaceTable } from "./local-addresses.ts";
import type { RouteDelta } from "./route-delta.ts";
import type { MessageKind } from "./session.ts";

/** The parts of BgpSessionOptions that are data (functions cannot cross threads). */
export interface WorkerSessionConfig {
  readonly nodeName: string;
  readonly dialTimeoutS?: number;
  readonly openSentHoldS?: number;
  /** A fixed interface table (tests); default: the Worker reads os.networkInterfaces() per dial. */
  readonly interfaces?: InterfaceTable;
}

export type ToSessionWorker =
  | {
      readonly type: "create";
      readonly session: number;
      readonly spec: BgpSessionSpec;
      readonly config: WorkerSessionConfig;
    }
  | { readonly type: "start"; readonly session: number }
  | { readonly type: "routes"; readonly session: number; readonly delta: RouteDelta }
  | { readonly type: "bfdDown"; readonly session: number }
  /** Answered with "done" once everything queued so far was taken by the kernel. */
  | { readonly type: "flushed"; readonly session: number; readonly request: number }
  /** Cease, close; answered with "done" once the NOTIFICATION left (bounded); the session is gone. */
  | { readonly type: "stop"; readonly session: number; readonly request: number; readonly cause: StopCause };

export type LogLevel = "debug" | "info" | "warn" | "error";

/** What one session reports, in the order it happened. */
export type SessionEvent =
  | { readonly type: "status"; readonly session: number; readonly status: BgpSessionStatus }
  | {
      readonly type: "log";
      readonly session: number;
      readonly level: LogLevel;
      readonly fields: Record<string, unknown>;
      readonly msg: string;
    }
  | { readonly type: "sessionUp"; readonly session: number; readonly up: boolean }
  | { readonly type: "updateSent"; readonly session: number }
  | {
      readonly type: "prefixes";
      readonly session: number;
      readonly announced: number;
      readonly pending: number;
    }
  | { readonly type: "messageSent"; readonly session: number; readonly kind: MessageKind }
  | { readonly type: "messageReceived"; readonly session: number; readonly kind: MessageKind }
  | { readonly type: "done"; readonly session: number; readonly request: number };

/** Events are posted in batches: everything one turn of the Worker's loop produced. */
export type FromSessionWorker = { readonly type: "events"; readonly events: readonly SessionEvent[] };
