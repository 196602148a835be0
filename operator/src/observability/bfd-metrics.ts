/**
 * BFD session metrics under the names MetalLB's FRR mode exports (`collector/bfd.go`), labels
 * `peer` (the peer's address) and `vrf` (always "default": no VRF here). Read from the BFD Worker
 * at each scrape; echo counters stay 0 (asynchronous mode only); `_zebra_notifications` counts the
 * state changes handed to the BGP side.
 */
import type { BfdSessionCounters } from "../announcers/bfd/runner.ts";
import { Gauge, type Registry } from "./prom-client.ts";

export interface BfdMetricsSource {
  /** Each session's counters, keyed by BGPPeer name. */
  counters(): Promise<readonly BfdSessionCounters[]>;
  /** The peer address of a BGPPeer's BFD session. */
  peerAddress(key: string): string | undefined;
}

type Field = (c: BfdSessionCounters) => number;

const SERIES: ReadonlyArray<readonly [string, string, Field]> = [
  ["metallb_bfd_session_up", "BFD session state (1 is up, 0 is down)", (c) => (c.state === "Up" ? 1 : 0)],
  ["metallb_bfd_control_packet_input", "Number of received BFD control packets", (c) => c.controlPacketsIn],
  ["metallb_bfd_control_packet_output", "Number of sent BFD control packets", (c) => c.controlPacketsOut],
  ["metallb_bfd_echo_packet_input", "Number of received BFD echo packets", () => 0],
  ["metallb_bfd_echo_packet_output", "Number of sent BFD echo packets", () => 0],
  ["metallb_bfd_session_up_events", "Number of BFD session up events", (c) => c.upEvents],
  ["metallb_bfd_session_down_events", "Number of BFD session down events", (c) => c.downEvents],
  [
    "metallb_bfd_zebra_notifications",
    "Number of BFD state changes notified to the BGP sessions",
    (c) => c.upEvents + c.downEvents,
  ],
];

export function bfdMetrics(registry: Registry, source: BfdMetricsSource): void {
  // One read of the Worker per scrape, shared by every series of that scrape.
  let pending: Promise<readonly BfdSessionCounters[]> | undefined;
  const read = () => {
    pending ??= source.counters().finally(() => {
      setTimeout(() => {
        pending = undefined;
      }, 0);
    });
    return pending;
  };
  for (const [name, help, field] of SERIES) {
    new Gauge({
      name,
      help,
      labelNames: ["peer", "vrf"],
      registers: [registry],
      async collect() {
        this.reset();
        for (const c of await read()) {
          const peer = source.peerAddress(c.key);
          if (peer !== undefined) this.set({ peer, vrf: "default" }, field(c));
        }
      },
    });
  }
}
