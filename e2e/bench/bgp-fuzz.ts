/**
 * `bun e2e/bench/bgp-fuzz.ts [N=1000000] [seed=1]`: N fuzzed BGP messages (mutated valid messages
 * of every type and random bytes) through the codec's framer and decodeMessage. Prints JSON lines
 * like the other benches; fuzz_exceptions and fuzz_bad_errors must be 0 (exit status 1 otherwise).
 */
import { runFuzz } from "../../operator/src/announcers/bgp/codec/fuzz.ts";

const count = Number(process.argv[2] ?? 1_000_000);
const seed = Number(process.argv[3] ?? 1);

function line(metric: string, value: number, unit: string, extra: Record<string, unknown> = {}): void {
  console.log(JSON.stringify({ bench: "bgp", metric, value, unit, n: count, seed, ...extra }));
}

const started = performance.now();
const report = runFuzz(count, seed);
const seconds = (performance.now() - started) / 1000;
line("fuzz_messages", report.messages, "messages");
line("fuzz_exceptions", report.exceptions, "exceptions");
line("fuzz_bad_errors", report.badErrors, "errors");
line("fuzz_decoded", report.decoded, "messages");
line(
  "fuzz_errors",
  Object.values(report.errors).reduce((a, b) => a + b, 0),
  "errors",
  { byCode: report.errors },
);
line("fuzz_seconds", Number(seconds.toFixed(2)), "s");
if (report.firstProblem !== undefined) console.error(report.firstProblem);
process.exit(report.exceptions === 0 && report.badErrors === 0 ? 0 : 1);
