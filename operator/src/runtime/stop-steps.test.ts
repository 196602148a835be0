import { describe, expect, test } from "bun:test";
import { runStopSteps } from "./stop-steps.ts";

function recordingLog() {
  const lines: Array<{ level: string; fields: Record<string, unknown>; msg: string }> = [];
  const at = (level: string) => (fields: object, msg: string) =>
    lines.push({ level, fields: fields as Record<string, unknown>, msg });
  return { lines, log: { debug: at("debug"), info: at("info"), warn: at("warn") } };
}

describe("runStopSteps", () => {
  test("runs the steps in order, one after the other, and logs each with its duration", async () => {
    const { lines, log } = recordingLog();
    const order: string[] = [];
    const durations = await runStopSteps(log, [
      [
        "first",
        async () => {
          order.push("first:start");
          await Bun.sleep(20);
          order.push("first:end");
        },
      ],
      ["absent", () => undefined],
      ["second", async () => order.push("second")],
    ]);
    expect(order).toEqual(["first:start", "first:end", "second"]);
    expect(Object.keys(durations)).toEqual(["first", "absent", "second"]);
    expect(durations.first).toBeGreaterThanOrEqual(15);
    expect(lines.filter((l) => l.msg === "stop step done").map((l) => l.fields.step)).toEqual([
      "first",
      "absent",
      "second",
    ]);
    const last = lines.at(-1)!;
    expect(last).toMatchObject({ level: "info", msg: "stopped", fields: { steps: durations } });
    expect(lines.some((l) => l.level === "warn")).toBe(false);
  });

  test("a stop still under way after slowAfterMs names the step it waits on", async () => {
    const { lines, log } = recordingLog();
    await runStopSteps(
      log,
      [
        ["quick", async () => undefined],
        ["stuck", () => Bun.sleep(80)],
      ],
      { slowAfterMs: 30 },
    );
    const slow = lines.filter((l) => l.level === "warn");
    expect(slow).toHaveLength(1);
    expect(slow[0]).toMatchObject({ msg: "the stop is slow", fields: { waitingOn: "stuck" } });
  });

  test("a failing step ends the stop with its error and leaves no timer behind", async () => {
    const { lines, log } = recordingLog();
    await expect(
      runStopSteps(log, [["broken", () => Promise.reject(new Error("boom"))]], { slowAfterMs: 10 }),
    ).rejects.toThrow("boom");
    await Bun.sleep(30);
    expect(lines.some((l) => l.level === "warn")).toBe(false);
  });
});
