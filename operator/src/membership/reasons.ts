/**
 * Why a heartbeat packet was ignored, and why a member came or went: the same strings in logs,
 * metric labels, the e2e reports and test assertions.
 */

/** Why a received packet was ignored (counted per reason, never thrown). */
export type DropReason =
  /** Shorter than its header, its declared name or its tag. */
  | "truncated"
  /** Longer than its header + name + tag: trailing bytes are never accepted. */
  | "oversized"
  /** Does not start with our magic: another protocol on the port. */
  | "notHeartbeat"
  /** A version we do not speak. */
  | "badVersion"
  /** A kind other than alive/leaving, or reserved flag bits set. */
  | "badKind"
  /** Node name empty, not UTF-8 or not a DNS-1123 subdomain. */
  | "badName"
  /** Incarnation, sequence or interval of 0 or beyond 2^53-1. */
  | "badNumber"
  /** We hold a key and the packet carries no tag. */
  | "unauthenticated"
  /** We hold no key and the packet carries a tag we cannot check. */
  | "unverifiable"
  /** The tag does not match: wrong key, forged or corrupted. */
  | "forged"
  /** Same incarnation, sequence not above the highest seen: a replay (or a reordered copy). */
  | "replayed"
  /** An incarnation older than the one we know for that node. */
  | "staleIncarnation"
  /** Our own beat, looped back by the kernel (proof that our sending works). */
  | "self"
  /** The peer table is full of live peers (a flood of names). */
  | "tooManyPeers";

export const DROP_REASONS: readonly DropReason[] = [
  "truncated",
  "oversized",
  "notHeartbeat",
  "badVersion",
  "badKind",
  "badName",
  "badNumber",
  "unauthenticated",
  "unverifiable",
  "forged",
  "replayed",
  "staleIncarnation",
  "self",
  "tooManyPeers",
];

/** Why a node became a member. */
export type JoinReason =
  /** The first beat ever heard from it. */
  | "firstBeat"
  /** It came back with a new incarnation (the speaker restarted) and beat steadily for the hold-down. */
  | "restarted"
  /** Same incarnation, heard again steadily for the hold-down after being declared dead (link or stall). */
  | "revived";

/** Why a node stopped being a member. */
export type DepartReason =
  /** No beat for deadAfterMs (scaled by its advertised interval). */
  | "timeout"
  /** It said it is leaving (SIGTERM). */
  | "left";

export type MemberChange =
  | { readonly node: string; readonly change: "joined"; readonly reason: JoinReason; readonly at: number }
  | {
      readonly node: string;
      readonly change: "departed";
      readonly reason: DepartReason;
      readonly at: number;
    };
