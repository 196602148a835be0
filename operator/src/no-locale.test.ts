/**
 * The program never calls into ICU's locale machinery: `localeCompare`, `Intl.*` and
 * `toLocale*String` page in megabytes of Bun's ICU data on first use (measured: about 2.8 MB of
 * resident file pages each for the collator and for date formatting), which a speaker on every
 * node would carry for nothing. Sorting uses domain/code-unit-order.ts.
 */
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { sourceFiles } from "./testing/source-files.ts";

const SOURCE = import.meta.dir;
const LOCALE_CALL = /\.localeCompare\(|\bIntl\.|\.toLocale(?:Date|Time|Upper|Lower)?String\(/;

test("no source file calls localeCompare, Intl or toLocale*String", () => {
  const offences = sourceFiles(SOURCE).flatMap((file) =>
    readFileSync(file, "utf8")
      .split("\n")
      .flatMap((line, i) =>
        LOCALE_CALL.test(line) ? [`${relative(SOURCE, file)}:${i + 1}: ${line.trim()}`] : [],
      ),
  );
  expect(offences).toEqual([]);
});

test("the check catches each form", () => {
  for (const line of [
    "a.localeCompare(b)",
    "new Intl.Collator()",
    "n.toLocaleString()",
    "d.toLocaleDateString()",
  ])
    expect(LOCALE_CALL.test(line)).toBe(true);
  expect(LOCALE_CALL.test("a < b ? -1 : 1")).toBe(false);
});
