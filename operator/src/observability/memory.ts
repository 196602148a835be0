/**
 * `/debug/memory` on the health port: what this process holds, for "why is my speaker at 160 MB"
 * without a debugger. Resident memory split as the kernel sees it, the JavaScript heap (live,
 * and what it occupies: a heap that never moves objects can hold twice its live size after
 * bursts), what the allocator has handed out, and the JavaScript object types that are most
 * numerous (from JavaScriptCore's heap statistics). Read-only and cheap enough to call by hand;
 * the heap statistics walk the heap, so it is not for a scraper.
 */

import { heapStats } from "bun:jsc";
import { readFileSync } from "node:fs";

export interface MemoryReport {
  readonly rssMb: number;
  /** Resident anonymous memory (heaps, allocator) and file-backed pages (mostly the bun executable). */
  readonly rssAnonMb: number | undefined;
  readonly rssFileMb: number | undefined;
  readonly heapUsedMb: number;
  readonly heapSizeMb: number;
  /** What the JavaScript heap occupies (blocks with at least one live object), live or not. */
  readonly heapCapacityMb: number;
  /** Memory outside the heap that heap objects own (string characters, buffers). */
  readonly heapExtraMb: number;
  /** What the allocator (Bun's mimalloc) has handed out and not taken back, when it says. */
  readonly mallocMb: number | undefined;
  /**
   * The same by block size, when it says: `heapBlocks` are the 16 KB blocks JavaScriptCore's heaps
   * (every thread's) are made of; `small` (up to 1 KB) is mostly string characters; `large` (over
   * 16 KB) and `huge` are big arrays, maps and buffers.
   */
  readonly mallocBySizeMb:
    | {
        readonly small: number;
        readonly medium: number;
        readonly heapBlocks: number;
        readonly large: number;
        readonly huge: number;
      }
    | undefined;
  readonly objectCount: number;
  readonly topObjectTypes: ReadonlyArray<readonly [string, number]>;
}

const mb = (bytes: number) => Math.round(bytes / 1e5) / 10;

/** A `/proc/self/status` field in MB; undefined off Linux. */
function statusMb(field: string): number | undefined {
  try {
    const kb = readFileSync("/proc/self/status", "utf8").match(
      new RegExp(`^${field}:\\s+(\\d+) kB`, "m"),
    )?.[1];
    return kb === undefined ? undefined : mb(Number(kb) * 1024);
  } catch {
    return undefined;
  }
}

interface AllocatorStats {
  readonly malloc_normal?: { readonly current?: number };
  readonly malloc_huge?: { readonly current?: number };
  /** Per size class: blocks handed out now (`current`) of `block_size` bytes. */
  readonly malloc_bins?: ReadonlyArray<{ readonly current?: number; readonly block_size?: number }>;
}

/** JavaScriptCore allocates its heaps in blocks of this size (MarkedBlock). */
const HEAP_BLOCK_BYTES = 16 * 1024;

function bySize(allocator: AllocatorStats | undefined): MemoryReport["mallocBySizeMb"] {
  const bins = allocator?.malloc_bins;
  if (bins === undefined) return undefined;
  const sums = { small: 0, medium: 0, heapBlocks: 0, large: 0 };
  for (const bin of bins) {
    const size = bin.block_size ?? 0;
    const bytes = (bin.current ?? 0) * size;
    if (size <= 1024) sums.small += bytes;
    else if (size < HEAP_BLOCK_BYTES) sums.medium += bytes;
    else if (size === HEAP_BLOCK_BYTES) sums.heapBlocks += bytes;
    else sums.large += bytes;
  }
  return {
    small: mb(sums.small),
    medium: mb(sums.medium),
    heapBlocks: mb(sums.heapBlocks),
    large: mb(sums.large),
    huge: mb(allocator?.malloc_huge?.current ?? 0),
  };
}

export function memoryReport(top = 25): MemoryReport {
  const usage = process.memoryUsage();
  const stats = heapStats() as ReturnType<typeof heapStats> & {
    heapCapacity?: number;
    extraMemorySize?: number;
    mimalloc?: AllocatorStats;
  };
  const types = Object.entries(stats.objectTypeCounts as Record<string, number>)
    .sort((a, b) => b[1] - a[1])
    .slice(0, top);
  const allocator = stats.mimalloc;
  const malloc =
    allocator?.malloc_normal?.current === undefined
      ? undefined
      : allocator.malloc_normal.current + (allocator.malloc_huge?.current ?? 0);
  return {
    rssMb: mb(usage.rss),
    rssAnonMb: statusMb("RssAnon"),
    rssFileMb: statusMb("RssFile"),
    heapUsedMb: mb(usage.heapUsed),
    heapSizeMb: mb(stats.heapSize),
    heapCapacityMb: mb(stats.heapCapacity ?? 0),
    heapExtraMb: mb(stats.extraMemorySize ?? 0),
    mallocMb: malloc === undefined ? undefined : mb(malloc),
    mallocBySizeMb: bySize(allocator),
    objectCount: stats.objectCount,
    topObjectTypes: types,
  };
}
