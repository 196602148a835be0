import { describe, expect, test } from "bun:test";
import { overlayPlan, PROLOGUE_ENV, podPrologue } from "./pod-script.ts";

describe("pod prologue", () => {
  test("overlay goes on the deepest existing ancestor, with the missing part below it", () => {
    expect(overlayPlan("/run", ["secrets", "kubernetes.io", "serviceaccount"])).toEqual({
      target: "/run",
      relativeDir: "secrets/kubernetes.io/serviceaccount",
    });
    expect(overlayPlan("/run/secrets/kubernetes.io/serviceaccount", [])).toEqual({
      target: "/run/secrets/kubernetes.io/serviceaccount",
      relativeDir: ".",
    });
    expect(() => overlayPlan("/", ["var"])).toThrow(/root/);
  });

  test("takes every input from the environment and unsets it before exec", () => {
    const script = podPrologue();
    for (const name of Object.values(PROLOGUE_ENV)) {
      expect(script).toContain(`$${name}`);
    }
    const lines = script.split("\n");
    expect(lines.at(-1)).toBe('exec "$@"');
    const unset = lines.at(-2)!;
    for (const name of Object.values(PROLOGUE_ENV)) expect(unset).toContain(name);
    // The token must never be written into the script text itself.
    expect(script).not.toMatch(/eyJ/);
  });

  test("is valid sh", async () => {
    const proc = Bun.spawn(["sh", "-n", "-c", podPrologue()], { stderr: "pipe" });
    expect(await proc.exited).toBe(0);
  });
});
