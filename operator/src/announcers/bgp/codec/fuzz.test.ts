import { expect, test } from "bun:test";
import { runFuzz } from "./fuzz.ts";

test("200k fuzzed messages (seed 1): nothing throws, every failure is a BgpError with code 1..7", () => {
  const report = runFuzz(200_000, 1);
  expect(report.firstProblem).toBeUndefined();
  expect(report.exceptions).toBe(0);
  expect(report.badErrors).toBe(0);
  // The mutations reach every layer: header, OPEN, UPDATE and ROUTE-REFRESH errors, and successes.
  for (const key of ["1/1", "1/2", "1/3", "2/0", "3/1", "3/10", "7/1"])
    expect(report.errors[key] ?? 0).toBeGreaterThan(0);
  expect(report.decoded).toBeGreaterThan(10_000);
}, 30_000);
