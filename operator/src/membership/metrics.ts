/**
 * Prometheus families of the membership (not in MetalLB, whose memberlist exports none), fed by the
 * engine's sink. Names start with metalbun_membership_.
 */
import { Counter, Gauge, Histogram, type Registry } from "../observability/prom-client.ts";
import type { BeatKind } from "./packet.ts";
import type { DropReason, MemberChange } from "./reasons.ts";

/** What the membership reports for metrics; every method is cheap (called per packet). */
export interface MembershipObserver {
  sent(kind: BeatKind, ok: boolean): void;
  accepted(kind: BeatKind, gapMs: number | undefined): void;
  dropped(reason: DropReason): void;
  changed(members: ReadonlySet<string>, changes: readonly MemberChange[]): void;
  stalled(lateMs: number): void;
}

export function membershipMetrics(registry: Registry): MembershipObserver {
  const sent = new Counter({
    name: "metalbun_membership_packets_sent_total",
    help: "Heartbeat packets sent, by kind (alive, leaving)",
    labelNames: ["kind"],
    registers: [registry],
  });
  const sendFailures = new Counter({
    name: "metalbun_membership_send_failures_total",
    help: "Heartbeat packets the kernel refused to send (link down, no route)",
    registers: [registry],
  });
  const received = new Counter({
    name: "metalbun_membership_packets_received_total",
    help: "Authenticated, fresh heartbeat packets accepted, by kind",
    labelNames: ["kind"],
    registers: [registry],
  });
  const dropped = new Counter({
    name: "metalbun_membership_packets_dropped_total",
    help: "Heartbeat packets ignored, by reason (forged, replayed, truncated, ...; self = our own, looped back)",
    labelNames: ["reason"],
    registers: [registry],
  });
  const members = new Gauge({
    name: "metalbun_membership_members",
    help: "Live members seen by this speaker, itself included",
    registers: [registry],
  });
  const changes = new Counter({
    name: "metalbun_membership_changes_total",
    help: "Members joining and departing, by change and reason",
    labelNames: ["change", "reason"],
    registers: [registry],
  });
  const gaps = new Histogram({
    name: "metalbun_membership_beat_gap_seconds",
    help: "Time between two consecutive heartbeats of a live peer (the margin before a false death)",
    buckets: [0.05, 0.1, 0.12, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 1],
    registers: [registry],
  });
  const stalls = new Counter({
    name: "metalbun_membership_stalls_total",
    help: "Times our own event loop came late by more than one interval (deaths were deferred)",
    registers: [registry],
  });
  return {
    sent: (kind, ok) => (ok ? sent.inc({ kind }) : sendFailures.inc()),
    accepted(kind, gapMs) {
      received.inc({ kind });
      if (gapMs !== undefined) gaps.observe(gapMs / 1000);
    },
    dropped: (reason) => dropped.inc({ reason }),
    changed(now, list) {
      members.set(now.size);
      for (const c of list) changes.inc({ change: c.change, reason: c.reason });
    },
    stalled: () => stalls.inc(),
  };
}
