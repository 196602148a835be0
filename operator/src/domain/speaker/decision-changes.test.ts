import { describe, expect, test } from "bun:test";
import type { L2Decision } from "../announce/l2-decision.ts";
import { decisionChanges } from "./decision-changes.ts";

const base = { protocol: "layer2" as const, namespace: "ns", uid: "u", ips: ["10.0.0.1"], candidates: [] };
const announce = (name: string): L2Decision => ({
  ...base,
  key: `ns/${name}`,
  name,
  pool: "p",
  owner: "a",
  announce: true,
  interfaces: [],
});
const withdraw = (name: string, reason: "notOwner" | "noEndpoints"): L2Decision => ({
  ...base,
  key: `ns/${name}`,
  name,
  pool: "p",
  owner: "b",
  announce: false,
  reason,
});

describe("decisionChanges", () => {
  test("announced, withdrawn with the reason, a reason that changes; unchanged ones are quiet", () => {
    const before = [announce("a"), withdraw("b", "notOwner"), withdraw("c", "notOwner"), announce("d")];
    const after = [withdraw("a", "noEndpoints"), announce("b"), withdraw("c", "noEndpoints"), announce("d")];
    expect(decisionChanges(before, after).map((c) => [c.key, c.change, c.reason])).toEqual([
      ["ns/a", "serviceWithdrawn", "noEndpoints"],
      ["ns/b", "serviceAnnounced", undefined],
      ["ns/c", "serviceWithdrawn", "noEndpoints"],
    ]);
  });

  test("a new Service is logged only when announced; a removed one not at all", () => {
    const after = [announce("a"), withdraw("b", "notOwner")];
    expect(decisionChanges([], after).map((c) => c.key)).toEqual(["ns/a"]);
    expect(decisionChanges(after, [])).toEqual([]);
  });

  test("the same decision object costs nothing and reports nothing", () => {
    const d = [announce("a")];
    expect(decisionChanges(d, d)).toEqual([]);
  });
});
