/**
 * prom-client's classes, each loaded from its own module rather than the package's index. The
 * index also loads the Pushgateway (node:http, node:https, node:zlib), the cluster aggregator
 * (node:cluster) and Summary's t-digest, none of which we use; Bun compiles every builtin module
 * that is loaded, and a process keeps those pages for its life. Measured (Bun 1.4.5, minified
 * bundles of the same five imports): 7.3 against 5.8 MB anonymous and 33.9 against 32.0 MB
 * file-backed resident memory. The types are the package's own (prom-client-parts.d.ts).
 */
import Counter from "prom-client/lib/counter";
import collectDefaultMetrics from "prom-client/lib/defaultMetrics";
import Gauge from "prom-client/lib/gauge";
import Histogram from "prom-client/lib/histogram";
import Registry from "prom-client/lib/registry";

export type { Metric } from "prom-client";
export { Counter, collectDefaultMetrics, Gauge, Histogram, Registry };
