/** Benchmark output: one JSON object per line, the shape every bench prints. */
export function emit(bench: string, metric: string, value: number, unit: string, n: number): void {
  console.log(JSON.stringify({ bench, metric, value, unit, n }));
}

/** Nearest-rank percentile of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}
