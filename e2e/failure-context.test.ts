import { expect, test } from "bun:test";
import { FailureContext } from "./failure-context.ts";

test("a failure keeps the lines since the previous result, across chunk boundaries", () => {
  const context = new FailureContext();
  context.write("e2e/a.test.ts:\n(pass) first [1ms]\ntimeline: 0 ms: a\nerror: expected 3");
  context.write("\nreceived 2\n(fail) second [2ms]\n(pass) third [1ms]\n");
  context.end();
  expect(context.failures).toEqual([
    {
      result: "(fail) second [2ms]",
      lines: ["timeline: 0 ms: a", "error: expected 3", "received 2"],
      dropped: 0,
    },
  ]);
  expect(context.report()).toBe("--- (fail) second [2ms]\ntimeline: 0 ms: a\nerror: expected 3\nreceived 2");
});

test("a file header starts a failure's context afresh; colours are taken off", () => {
  const context = new FailureContext();
  context.write("(pass) x\nleft over from a file's end\ne2e/b.test.ts:\n\x1b[31mboom\x1b[0m\n(fail) y\n");
  expect(context.failures[0]?.lines).toEqual(["e2e/b.test.ts:", "boom"]);
});

test("only the last lines are kept, the dropped ones counted; the report shows the first failures", () => {
  const context = new FailureContext(2);
  context.write("one\ntwo\nthree\n(fail) a\n(fail) b\n(fail) c\n");
  expect(context.failures[0]).toEqual({ result: "(fail) a", lines: ["two", "three"], dropped: 1 });
  expect(context.report(2)).toBe(
    "--- (fail) a\n(1 earlier lines not shown)\ntwo\nthree\n\n--- (fail) b\n\n(1 more failures not shown again)",
  );
});

test("a last line without a newline counts once the output ends", () => {
  const context = new FailureContext();
  context.write("why\n(fail) z");
  expect(context.failures).toEqual([]);
  context.end();
  expect(context.failures).toEqual([{ result: "(fail) z", lines: ["why"], dropped: 0 }]);
});
