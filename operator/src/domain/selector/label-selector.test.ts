import { describe, expect, test } from "bun:test";
import type { LabelSelector } from "../api/label-selector.ts";
import {
  anySelectorMatches,
  compileSelector,
  compileSelectorList,
  selectorMatches,
} from "./label-selector.ts";

function matches(selector: LabelSelector, labels: Record<string, string> | undefined): boolean {
  const compiled = compileSelector(selector);
  if (!compiled.ok) throw new Error(compiled.error);
  return selectorMatches(compiled.value, labels);
}

describe("selectorMatches", () => {
  test.each<[string, LabelSelector, Record<string, string> | undefined, boolean]>([
    ["empty selector matches everything", {}, undefined, true],
    ["empty selector matches labelled", {}, { a: "1" }, true],
    ["matchLabels hit", { matchLabels: { app: "web" } }, { app: "web", x: "y" }, true],
    ["matchLabels miss", { matchLabels: { app: "web" } }, { app: "db" }, false],
    ["matchLabels absent", { matchLabels: { app: "web" } }, undefined, false],
    ["In hit", { matchExpressions: [{ key: "t", operator: "In", values: ["a", "b"] }] }, { t: "b" }, true],
    ["In miss", { matchExpressions: [{ key: "t", operator: "In", values: ["a"] }] }, { t: "b" }, false],
    ["In absent", { matchExpressions: [{ key: "t", operator: "In", values: ["a"] }] }, {}, false],
    [
      "NotIn absent matches",
      { matchExpressions: [{ key: "t", operator: "NotIn", values: ["a"] }] },
      {},
      true,
    ],
    ["NotIn hit", { matchExpressions: [{ key: "t", operator: "NotIn", values: ["a"] }] }, { t: "a" }, false],
    ["Exists", { matchExpressions: [{ key: "t", operator: "Exists" }] }, { t: "" }, true],
    ["Exists miss", { matchExpressions: [{ key: "t", operator: "Exists" }] }, {}, false],
    ["DoesNotExist", { matchExpressions: [{ key: "t", operator: "DoesNotExist" }] }, {}, true],
    ["DoesNotExist miss", { matchExpressions: [{ key: "t", operator: "DoesNotExist" }] }, { t: "x" }, false],
    [
      "labels AND expressions",
      { matchLabels: { a: "1" }, matchExpressions: [{ key: "b", operator: "Exists" }] },
      { a: "1" },
      false,
    ],
  ])("%s", (_, selector, labels, expected) => {
    expect(matches(selector, labels)).toBe(expected);
  });

  test("a list ORs its selectors; an empty list matches nothing", () => {
    const list = compileSelectorList(
      [{ matchLabels: { a: "1" } }, { matchLabels: { b: "2" } }],
      "serviceSelectors",
    );
    if (!list.ok) throw new Error(list.error);
    expect(anySelectorMatches(list.value, { b: "2" })).toBe(true);
    expect(anySelectorMatches(list.value, { c: "3" })).toBe(false);
    expect(anySelectorMatches([], { a: "1" })).toBe(false);
  });
});

describe("compileSelector rejects", () => {
  test.each<[LabelSelector, string]>([
    [
      { matchExpressions: [{ key: "t", operator: "Bogus" as "In" }] },
      '"Bogus" is not a valid label selector operator',
    ],
    [
      { matchExpressions: [{ key: "t", operator: "In", values: [] }] },
      "values must not be empty for the In operator",
    ],
    [
      { matchExpressions: [{ key: "t", operator: "NotIn" }] },
      "values must not be empty for the NotIn operator",
    ],
    [
      { matchExpressions: [{ key: "t", operator: "Exists", values: ["x"] }] },
      "values must be empty for the Exists operator",
    ],
    [{ matchExpressions: [{ key: "bad key", operator: "Exists" }] }, 'invalid label key "bad key"'],
    [
      { matchExpressions: [{ key: "UPPER.example/x", operator: "Exists" }] },
      "the prefix must be a DNS subdomain",
    ],
    [{ matchLabels: { app: "-web" } }, 'invalid label value "-web"'],
    [{ matchLabels: { "": "x" } }, 'invalid label key ""'],
    [
      { matchExpressions: [{ key: "t", operator: "In", values: ["a", "a"] }] },
      "duplicate definition of match expression value",
    ],
    [
      {
        matchExpressions: [
          { key: "t", operator: "In", values: ["a", "b"] },
          { key: "t", operator: "In", values: ["b", "a"] },
        ],
      },
      "duplicate definition of match expressions",
    ],
  ])("%j", (selector, message) => {
    const compiled = compileSelector(selector);
    expect(compiled.ok).toBe(false);
    if (!compiled.ok) expect(compiled.error).toContain(message);
  });

  test("accepts prefixed keys and empty values", () => {
    expect(compileSelector({ matchLabels: { "example.com/tier": "" } }).ok).toBe(true);
  });

  test("lists reject duplicates regardless of key and value order", () => {
    const list = compileSelectorList(
      [{ matchLabels: { a: "1", b: "2" } }, { matchLabels: { b: "2", a: "1" } }],
      "nodeSelectors",
    );
    expect(list).toEqual({ ok: false, error: "duplicate definition of nodeSelectors {a=1, b=2}" });
  });
});
