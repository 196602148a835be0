/**
 * The BGP session metrics under MetalLB's names, label `peer="<ip>:<port>"`: the native speaker's
 * `metallb_bgp_session_up`, `_updates_total`, `_announced_prefixes_total`,
 * `_pending_prefixes_total`, and the FRR mode's message counters (`_opens_sent`, ...). A session
 * that ends takes its series with it, as MetalLB deletes them when its session object closes.
 */
import type { BgpAnnouncerMetrics } from "../announcers/bgp/announcer.ts";
import type { MessageKind } from "../announcers/bgp/session.ts";
import { Counter, Gauge, type Registry } from "./prom-client.ts";

type PeerCounter = Counter<"peer">;

export function bgpMetrics(registry: Registry): BgpAnnouncerMetrics {
  const gauge = (name: string, help: string) =>
    new Gauge({ name, help, labelNames: ["peer"], registers: [registry] });
  const counter = (name: string, help: string): PeerCounter =>
    new Counter({ name, help, labelNames: ["peer"], registers: [registry] });
  const sessionUp = gauge("metallb_bgp_session_up", "BGP session state (1 is up, 0 is down)");
  const updates = counter("metallb_bgp_updates_total", "Number of BGP UPDATE messages sent");
  const announced = gauge(
    "metallb_bgp_announced_prefixes_total",
    "Number of prefixes currently being advertised on the BGP session",
  );
  const pending = gauge(
    "metallb_bgp_pending_prefixes_total",
    "Number of prefixes that should be advertised on the BGP session",
  );
  const sent: Record<MessageKind, PeerCounter> = {
    open: counter("metallb_bgp_opens_sent", "Number of BGP open messages sent"),
    update: counter("metallb_bgp_updates_total_sent", "Number of BGP UPDATE messages sent (FRR mode's name)"),
    notification: counter("metallb_bgp_notifications_sent", "Number of BGP notification messages sent"),
    keepalive: counter("metallb_bgp_keepalives_sent", "Number of BGP keepalive messages sent"),
    routeRefresh: counter("metallb_bgp_route_refresh_sent", "Number of BGP route refresh messages sent"),
  };
  const received: Record<MessageKind, PeerCounter> = {
    open: counter("metallb_bgp_opens_received", "Number of BGP open messages received"),
    update: counter("metallb_bgp_updates_total_received", "Number of BGP UPDATE messages received"),
    notification: counter(
      "metallb_bgp_notifications_received",
      "Number of BGP notification messages received",
    ),
    keepalive: counter("metallb_bgp_keepalives_received", "Number of BGP keepalive messages received"),
    routeRefresh: counter(
      "metallb_bgp_route_refresh_received",
      "Number of BGP route refresh messages received",
    ),
  };
  const totalSent = counter("metallb_bgp_total_sent", "Number of BGP messages sent");
  const totalReceived = counter("metallb_bgp_total_received", "Number of BGP messages received");
  const all = [
    sessionUp,
    updates,
    announced,
    pending,
    totalSent,
    totalReceived,
    ...Object.values(sent),
    ...Object.values(received),
  ];
  return {
    sessionUp: (peer, up) => sessionUp.set({ peer }, up ? 1 : 0),
    updateSent: (peer) => updates.inc({ peer }),
    prefixes: (peer, now, waiting) => {
      announced.set({ peer }, now);
      pending.set({ peer }, waiting);
    },
    messageSent: (peer, kind) => {
      sent[kind].inc({ peer });
      totalSent.inc({ peer });
    },
    messageReceived: (peer, kind) => {
      received[kind].inc({ peer });
      totalReceived.inc({ peer });
    },
    sessionRemoved: (peer) => {
      for (const metric of all) metric.remove({ peer });
    },
  };
}
