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

/** p50, p99 and max of `samples` as three lines `<name>_p50` ..., rounded to `decimals`. */
export function emitPercentiles(
  bench: string,
  name: string,
  samples: readonly number[],
  unit: string,
  decimals: number,
): void {
  const sorted = [...samples].sort((a, b) => a - b);
  const scale = 10 ** decimals;
  const round = (x: number) => Math.round(x * scale) / scale;
  emit(bench, `${name}_p50`, round(percentile(sorted, 50)), unit, sorted.length);
  emit(bench, `${name}_p99`, round(percentile(sorted, 99)), unit, sorted.length);
  emit(bench, `${name}_max`, round(sorted.at(-1) ?? Number.NaN), unit, sorted.length);
}

/** Reads until `good` holds or `timeoutMs` passed, every `stepMs`; returns the last value read. */
export async function until<T>(
  read: () => Promise<T>,
  good: (v: T) => boolean,
  timeoutMs: number,
  stepMs = 10,
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let v = await read();
  while (!good(v) && performance.now() < deadline) {
    await Bun.sleep(stepMs);
    v = await read();
  }
  return v;
}
