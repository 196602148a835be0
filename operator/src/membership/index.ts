/** Speaker liveness between nodes: authenticated sub-second heartbeats (docs/membership.md). */
export type { Clock, TimerHandle } from "./clock.ts";
export { realClock } from "./clock.ts";
export type { BeatDestination, Interfaces } from "./destination.ts";
export { beatDestination } from "./destination.ts";
export type { MembershipCounters } from "./engine.ts";
export { readMembershipSecret } from "./key.ts";
export {
  DEFAULT_DEAD_AFTER_MS,
  DEFAULT_INTERVAL_MS,
  DEFAULT_PORT,
  Membership,
  type MembershipLog,
  type MembershipOptions,
  type MembershipUpdate,
} from "./membership.ts";
export { type MembershipObserver, membershipMetrics } from "./metrics.ts";
export { OnDemandMembership, type StartableMembership } from "./on-demand.ts";
export type { DepartReason, DropReason, JoinReason, MemberChange } from "./reasons.ts";
export { DROP_REASONS } from "./reasons.ts";
