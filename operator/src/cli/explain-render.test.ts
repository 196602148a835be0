import { describe, expect, test } from "bun:test";
import { parse } from "yaml";
import { explainService } from "../domain/explain/explain-service.ts";
import { explainOptions, seedSnapshot } from "../domain/explain/testing.ts";
import { render, table } from "./explain-render.ts";

describe("explain output", () => {
  test("columns line up, the last one is not padded", () => {
    expect(table(["A", "BB"], [["xxx", "y"]])).toBe("A    BB\nxxx  y");
  });

  test("table: the first line is the summary, then the steps and the nodes", () => {
    const e = explainService({ ...seedSnapshot(), l2Advertisements: [] }, "default", "svc1", explainOptions);
    const text = render(e, "table", []);
    const lines = text.split("\n");
    expect(lines[0]).toBe(e.summary);
    expect(lines[2]).toMatch(/^STEP +VERDICT +REASON +DETAIL$/);
    expect(text).toContain("advertisement  fail     noAdvertisement");
  });

  test("json and yaml carry the same values, reason codes included", () => {
    const e = explainService(seedSnapshot(), "default", "svc1", explainOptions);
    const problems = [{ code: "forbidden" as const, resource: "pods", message: "no" }];
    const json = JSON.parse(render(e, "json", problems));
    expect(json.steps.map((s: { code: string }) => s.code)).toEqual(e.steps.map((s) => s.code));
    expect(json.readProblems).toEqual(problems);
    expect(parse(render(e, "yaml", problems))).toEqual(json);
  });
});
