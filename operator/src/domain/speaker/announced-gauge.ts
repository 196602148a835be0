/**
 * `metallb_speaker_announced{service,protocol,node,ip}`: 1 per IP of every Service this node
 * announces (MetalLB's desired-state gauge). A run hands over the decisions the rows come from,
 * not the rows: the metrics endpoint makes them when scraped. At 10k Services, keeping a row
 * object per IP (and the metrics library's own labelled entry per row) cost a speaker more
 * memory than anything else it keeps per Service except the Service itself.
 */
import type { BgpAnnounce } from "../announce/bgp-decision.ts";
import type { L2Decision } from "../announce/l2-decision.ts";

/** A `metallb_speaker_announced` row (value 1). */
export interface AnnouncedRow {
  readonly service: string;
  readonly protocol: "layer2" | "bgp";
  readonly node: string;
  readonly ip: string;
}

export interface AnnouncedGauge {
  readonly node: string;
  /** This run's Layer 2 decisions; those that announce have rows. */
  readonly layer2: readonly L2Decision[];
  /** The BGP decisions announced to some peer, by Service key. */
  readonly bgp: ReadonlyMap<string, BgpAnnounce>;
}

/** The rows: Layer 2's in decision order, then BGP's in the map's order; one per IP. */
export function announcedRowsOf(gauge: AnnouncedGauge): AnnouncedRow[] {
  const rows: AnnouncedRow[] = [];
  const { node } = gauge;
  for (const d of gauge.layer2) {
    if (!d.announce) continue;
    for (const ip of d.ips) rows.push({ service: d.key, protocol: d.protocol, node, ip });
  }
  for (const d of gauge.bgp.values()) {
    for (const ip of d.ips) rows.push({ service: d.key, protocol: d.protocol, node, ip });
  }
  return rows;
}
