/**
 * The test command (`./dev test`, or `bun run test` once set up): type-check, lint, then every
 * `*.test.ts` (unit tests beside the code, end-to-end tests under e2e/) in one `bun test` run, then
 * the testbed is torn down (`--keep` leaves the cluster running for a faster next run).
 * Bun prints its counts as separate lines; CI reads one line, `N passed, N failed`, printed last here.
 * Type-check and lint count as one test each.
 */
import { writeFileSync } from "node:fs";
import { FailureContext } from "./failure-context.ts";

interface Tally {
  passed: number;
  failed: number;
}

const tally: Tally = { passed: 0, failed: 0 };
const keep = process.argv.includes("--keep");
const testArgs = process.argv.slice(2).filter((a) => a !== "--keep");

async function step(
  name: string,
  argv: string[],
  failures?: FailureContext,
): Promise<{ code: number; output: string }> {
  const started = performance.now();
  console.error(`\n=== ${name}: ${argv.join(" ")}`);
  // One pipe for both streams, so what a test logs stays before its result line when read back.
  const proc = Bun.spawn(["sh", "-c", 'exec "$@" 2>&1', "sh", ...argv], {
    stdout: "pipe",
    stderr: "inherit",
  });
  const chunks: string[] = [];
  const decoder = new TextDecoder();
  for await (const chunk of proc.stdout) {
    const text = decoder.decode(chunk, { stream: true });
    chunks.push(text);
    failures?.write(text);
    process.stderr.write(text);
  }
  failures?.end();
  const code = await proc.exited;
  console.error(`=== ${name}: exit ${code} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return { code, output: chunks.join("") };
}

async function check(name: string, argv: string[]): Promise<void> {
  const { code } = await step(name, argv);
  if (code === 0) tally.passed++;
  else tally.failed++;
}

await check("type-check", ["bunx", "tsc", "--noEmit", "-p", "."]);
await check("lint", ["bunx", "biome", "check", "."]);

// e2e tests start apiservers and namespaces; long ones set their own timeouts, the rest get 2 minutes.
const failures = new FailureContext();
const tests = await step("tests", ["bun", "test", "--timeout=120000", ...testArgs], failures);
const count = (word: string) => Number(tests.output.match(new RegExp(`^\\s*(\\d+) ${word}$`, "m"))?.[1] ?? 0);
tally.passed += count("pass");
tally.failed += count("fail");
if (tests.code !== 0 && count("fail") === 0) {
  // bun exited non-zero without a failing test: an error outside any test (e.g. an unhandled rejection).
  console.error("bun test failed outside of any test");
  tally.failed++;
}

if (failures.failures.length > 0) {
  // Again at the end, where CI's tail shows it: each failure with what it printed before failing.
  console.error(`\n=== the failing tests' output, again\n${failures.report()}`);
}

if (!keep) {
  await step("teardown", ["bun", "e2e/teardown.ts"]);
}

const line = `${tally.passed} passed, ${tally.failed} failed`;
if (process.env.METALBUN_SUMMARY_FILE) writeFileSync(process.env.METALBUN_SUMMARY_FILE, `${line}\n`);
console.log(line);
process.exit(tally.failed === 0 ? 0 : 1);
