/**
 * The program never calls into ICU's locale machinery: `localeCompare`, `Intl.*` and
 * `toLocale*String` page in megabytes of Bun's ICU data on first use (measured: about 2.8 MB of
 * resident file pages each for the collator and for date formatting), which a speaker on every
 * node would carry for nothing. Sorting uses domain/code-unit-order.ts.
 */
import { expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

const SOURCE = import.meta.dir;
const LOCALE_CALL = /\.localeCompare\(|\bIntl\.|\.toLocale(?:Date|Time|Upper|Lower)?String\(/;

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith(".ts") && !e.name.endsWith(".test.ts") ? [p] : [];
  });
}

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
