/**
 * The one shape every protocol's announcer has (CONTRIBUTING.md, "How the code is organised"), so the
 * speaker drives Layer 2 and BGP the same way: start it, hand it the whole desired set after every
 * reconcile, read what it reports, stop it.
 */
import type { Observable } from "rxjs";

/**
 * How to stop. "handover": make-before-break, the others have been told we leave (membership
 * "leaving" beats, or routes still valid elsewhere) and this announcer may keep serving for a
 * short overlap before it goes quiet. "now": stop serving at once.
 */
export type StopMode = "handover" | "now";

export interface Announcer<Desired, Status> {
  readonly protocol: AnnouncerProtocol;
  start(): Promise<void>;
  /** The whole desired set, every time; idempotent (the same set twice changes nothing). */
  setDesired(desired: Desired): void;
  stop(how: StopMode): Promise<void>;
  /** What the announcer can do or does now (L2: the interfaces it answers on; BGP: sessions). */
  readonly status$: Observable<Status>;
}

/** The `protocol` label of MetalLB's metrics and Events. */
export type AnnouncerProtocol = "layer2" | "bgp";
