/** Messages between Membership (main thread) and the membership Worker (worker.ts). */
import type { BeatDestination } from "./destination.ts";
import type { EngineConfig, LogLevel, MembershipCounters } from "./engine.ts";
import type { DropReason, MemberChange } from "./reasons.ts";
import type { SegmentSpec } from "./segment-engines.ts";

export interface WorkerConfig {
  readonly engine: EngineConfig;
  readonly destination: BeatDestination;
  readonly port: number;
}

/**
 * "start" first (received by Bun's loop before the Worker's poll loop runs); for every later
 * message the main thread first adds 1 to `posted` (Int32 0 of the shared buffer) and writes the
 * wake eventfd the "started" reply names, then posts it (poll-loop.ts).
 */
export type ToWorker =
  | {
      readonly type: "start";
      readonly id: number;
      readonly config: WorkerConfig;
      readonly posted: SharedArrayBuffer;
    }
  /** The other announcing segments to beat on (segments.ts): the whole set each time. */
  | { readonly type: "segments"; readonly id: number; readonly segments: readonly SegmentSpec[] }
  | { readonly type: "leave"; readonly id: number }
  | { readonly type: "counters"; readonly id: number }
  | { readonly type: "stop"; readonly id: number };

/** Per-packet observations, batched (metrics only; nothing decides on them). */
export interface ObservedBatch {
  sentAlive: number;
  sentLeaving: number;
  sendFailures: number;
  acceptedLeaving: number;
  acceptedAliveWithoutGap: number;
  gapsMs: number[];
  dropped: Array<[DropReason, number]>;
  stallsMs: number[];
}

export type FromWorker =
  | { readonly type: "members"; readonly members: string[]; readonly changes: readonly MemberChange[] }
  /** A segment's live members (after its warm-up, on every change); undefined: closed. */
  | {
      readonly type: "segmentMembers";
      readonly ifname: string;
      readonly members: string[] | undefined;
      readonly changes: readonly MemberChange[];
    }
  | {
      readonly type: "log";
      readonly level: LogLevel;
      readonly fields: Record<string, unknown>;
      readonly msg: string;
    }
  | { readonly type: "observed"; readonly batch: ObservedBatch }
  | { readonly type: "started"; readonly id: number; readonly wakeFd: number }
  | { readonly type: "done"; readonly id: number }
  | { readonly type: "counters"; readonly id: number; readonly counters: MembershipCounters }
  | { readonly type: "error"; readonly id: number; readonly error: string };
