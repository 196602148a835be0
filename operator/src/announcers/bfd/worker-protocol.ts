/** Messages between the speaker's main thread (host.ts) and the BFD Worker (worker.ts). */
import type { BfdStateChange } from "./machine.ts";
import type { BfdPeerSpec, BfdPorts, BfdSessionCounters } from "./runner.ts";

export type ToBfdWorker =
  /** First, not counted: the shared counter of the messages that follow. */
  | { readonly type: "start"; readonly posted: SharedArrayBuffer; readonly ports?: BfdPorts }
  /** The whole desired set of sessions. */
  | { readonly type: "set"; readonly peers: readonly BfdPeerSpec[] }
  | { readonly type: "counters"; readonly id: number }
  /** AdminDown to every peer, then the Worker ends. */
  | { readonly type: "stop"; readonly id: number };

export type FromBfdWorker =
  | { readonly type: "started"; readonly wakeFd: number }
  | { readonly type: "change"; readonly key: string; readonly change: BfdStateChange }
  | { readonly type: "problem"; readonly detail: string }
  | { readonly type: "counters"; readonly id: number; readonly counters: readonly BfdSessionCounters[] }
  | { readonly type: "done"; readonly id: number };
