/**
 * A gauge whose series are the rows of a whole set, each at 1, read from the set when scraped
 * (`metallb_speaker_announced`). prom-client's Gauge keeps an entry per labelled series (a label
 * object and a hash text each): at 10k announced IPs that was more memory than the set it
 * describes, and it had to be rebuilt whenever the set changed. Here the owner hands over a
 * function that makes the rows; they exist only while a scrape formats them.
 */
import type { Metric, Registry } from "./prom-client.ts";

export type PresenceRow<L extends string> = Readonly<Record<L, string>>;

export class PresenceGauge<L extends string> {
  // What prom-client's Registry reads of a metric (registry.js: name, help, type, get).
  readonly type = "gauge";
  readonly aggregator = "sum";
  private rows: () => Iterable<PresenceRow<L>> = () => [];

  constructor(
    readonly name: string,
    readonly help: string,
    registers: readonly Registry[],
  ) {
    // The Registry takes any object with a name and get(); its types list only its own classes.
    for (const registry of registers) registry.registerMetric(this as unknown as Metric);
  }

  /** From now on the series are these rows (the function is called on every scrape). */
  show(rows: () => Iterable<PresenceRow<L>>): void {
    this.rows = rows;
  }

  reset(): void {
    this.rows = () => [];
  }

  get(): {
    name: string;
    help: string;
    type: "gauge";
    aggregator: "sum";
    values: { labels: PresenceRow<L>; value: number }[];
  } {
    const values = Array.from(this.rows(), (labels) => ({ labels, value: 1 }));
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}
