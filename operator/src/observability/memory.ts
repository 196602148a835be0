/**
 * `/debug/memory` on the health port: what this process holds, for "why is my speaker at 160 MB"
 * without a debugger. Resident and heap sizes, and the JavaScript object types that are most
 * numerous (from JavaScriptCore's heap statistics). Read-only and cheap enough to call by hand;
 * the heap statistics walk the heap, so it is not for a scraper.
 */
import { heapStats } from "bun:jsc";

export interface MemoryReport {
  readonly rssMb: number;
  readonly heapUsedMb: number;
  readonly heapSizeMb: number;
  readonly objectCount: number;
  readonly topObjectTypes: ReadonlyArray<readonly [string, number]>;
}

const mb = (bytes: number) => Math.round(bytes / 1e5) / 10;

export function memoryReport(top = 25): MemoryReport {
  const usage = process.memoryUsage();
  const stats = heapStats();
  const types = Object.entries(stats.objectTypeCounts as Record<string, number>)
    .sort((a, b) => b[1] - a[1])
    .slice(0, top);
  return {
    rssMb: mb(usage.rss),
    heapUsedMb: mb(usage.heapUsed),
    heapSizeMb: mb(stats.heapSize),
    objectCount: stats.objectCount,
    topObjectTypes: types,
  };
}
