import { describe, expect, test } from "bun:test";
import { parseExplainCommandLine } from "./explain-options.ts";

describe("metalbun explain command line", () => {
  test("svc/NAME, -n, -o, --context, --kubeconfig", () => {
    const parsed = parseExplainCommandLine(
      ["svc/svc1", "-n", "web", "-o", "json", "--context", "lab", "--kubeconfig", "/k"],
      {},
    );
    expect(parsed).toEqual({
      kind: "explain",
      command: {
        service: "svc1",
        namespace: "web",
        output: "json",
        context: "lab",
        kubeconfig: "/k",
        lbClass: undefined,
        metallbNamespace: "metallb-system",
      },
    });
  });

  test("no Service: the cluster summary; service/ and bare names too; METALLB_NAMESPACE", () => {
    const summary = parseExplainCommandLine([], { METALLB_NAMESPACE: "lb" });
    expect(summary.kind === "explain" && summary.command).toMatchObject({
      service: undefined,
      output: "table",
      metallbNamespace: "lb",
    });
    for (const arg of ["service/a", "services/a", "a"]) {
      const parsed = parseExplainCommandLine([arg], {});
      expect(parsed.kind === "explain" && parsed.command.service).toBe("a");
    }
  });

  test("errors: another kind, a bad output, extra words, unknown flags", () => {
    expect(parseExplainCommandLine(["deploy/x"], {})).toMatchObject({ kind: "error" });
    expect(parseExplainCommandLine(["svc/"], {})).toMatchObject({ kind: "error" });
    expect(parseExplainCommandLine(["-o", "wide"], {})).toMatchObject({ kind: "error" });
    expect(parseExplainCommandLine(["a", "b"], {})).toMatchObject({ kind: "error" });
    expect(parseExplainCommandLine(["--nope"], {})).toMatchObject({ kind: "error" });
    expect(parseExplainCommandLine(["--help"], {}).kind).toBe("help");
  });
});
