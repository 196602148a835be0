import { describe, expect, test } from "bun:test";
import { parseCommandLine } from "./options.ts";

describe("parseCommandLine", () => {
  test("controller defaults match MetalLB's", () => {
    const r = parseCommandLine(["controller"], {});
    expect(r).toEqual({
      kind: "run",
      options: {
        mode: "controller",
        logLevel: "info",
        port: 9120,
        healthProbePort: 17472,
        lbClass: "",
        namespace: undefined,
        mlSecretName: "memberlist",
        deployment: "controller",
      },
    });
  });

  test("speaker reads MetalLB's environment variables", () => {
    const r = parseCommandLine(["speaker"], {
      METALLB_NODE_NAME: "myk8s-worker",
      METALLB_HOST: "172.18.0.3",
      METALLB_ML_BIND_ADDR: "172.18.0.3",
      METALLB_ML_LABELS: "app=metallb,component=speaker",
      METALLB_ML_SECRET_KEY_PATH: "/etc/ml_secret_key",
      METALLB_NAMESPACE: "lb",
    });
    expect(r.kind).toBe("run");
    if (r.kind !== "run" || r.options.mode !== "speaker") throw new Error("want speaker options");
    expect(r.options.nodeName).toBe("myk8s-worker");
    expect(r.options.host).toBe("172.18.0.3");
    expect(r.options.mlBindAddr).toBe("172.18.0.3");
    expect(r.options.mlBindPort).toBe(7946);
    expect(r.options.mlLabels).toBe("app=metallb,component=speaker");
    expect(r.options.mlSecretKeyPath).toBe("/etc/ml_secret_key");
    expect(r.options.namespace).toBe("lb");
    expect(r.options.ignoreExcludeLb).toBe(false);
    expect(r.options.l2NonRevertive).toBe(false);
    expect(r.options.l2GratuitousIntervalMs).toBe(0);
  });

  test("periodic gratuitous ARP/NA: a duration by flag or environment, off by default", () => {
    const interval = (argv: string[], env: Record<string, string> = {}) => {
      const r = parseCommandLine(["speaker", "--node-name=a", ...argv], env);
      return r.kind === "run" && r.options.mode === "speaker" ? r.options.l2GratuitousIntervalMs : r;
    };
    expect(interval([])).toBe(0);
    expect(interval(["--l2-gratuitous-interval=30s"])).toBe(30_000);
    expect(interval(["--l2-gratuitous-interval", "1m30s"])).toBe(90_000);
    expect(interval(["--l2-gratuitous-interval=1500ms"])).toBe(1500);
    expect(interval(["--l2-gratuitous-interval=45"])).toBe(45_000); // bare seconds
    expect(interval(["--l2-gratuitous-interval=0"])).toBe(0);
    expect(interval([], { METALBUN_L2_GRATUITOUS_INTERVAL: "2m" })).toBe(120_000);
    expect(interval(["--l2-gratuitous-interval=10s"], { METALBUN_L2_GRATUITOUS_INTERVAL: "2m" })).toBe(
      10_000,
    );
    expect(interval(["--l2-gratuitous-interval=soon"])).toEqual({
      kind: "error",
      message: '--l2-gratuitous-interval: "soon" is not a duration (e.g. 30s, 5m, or 0 for off)',
    });
    expect(interval(["--l2-gratuitous-interval=-5s"])).toMatchObject({ kind: "error" });
    expect(interval(["--l2-gratuitous-interval=100ms"])).toEqual({
      kind: "error",
      message: '--l2-gratuitous-interval: "100ms" is outside 1s..24h (0 turns it off)',
    });
    expect(interval(["--l2-gratuitous-interval=25h"])).toMatchObject({ kind: "error" });
    expect(parseCommandLine(["controller", "--l2-gratuitous-interval=30s"], {})).toEqual({
      kind: "error",
      message: "--l2-gratuitous-interval is not a controller flag",
    });
  });

  test("non-revertive Layer 2 is opt-in, by flag or environment", () => {
    const byFlag = parseCommandLine(["speaker", "--node-name=a", "--l2-non-revertive"], {});
    const byEnv = parseCommandLine(["speaker", "--node-name=a"], { METALBUN_L2_NON_REVERTIVE: "true" });
    for (const r of [byFlag, byEnv]) {
      if (r.kind !== "run" || r.options.mode !== "speaker") throw new Error("want speaker options");
      expect(r.options.l2NonRevertive).toBe(true);
    }
    expect(parseCommandLine(["controller", "--l2-non-revertive"], {})).toEqual({
      kind: "error",
      message: "--l2-non-revertive is not a controller flag",
    });
  });

  test("a flag wins over its environment variable", () => {
    const r = parseCommandLine(["speaker", "--node-name=a", "--namespace", "x", "--ignore-exclude-lb"], {
      METALLB_NODE_NAME: "b",
      METALLB_NAMESPACE: "y",
    });
    if (r.kind !== "run" || r.options.mode !== "speaker") throw new Error("want speaker options");
    expect(r.options.nodeName).toBe("a");
    expect(r.options.namespace).toBe("x");
    expect(r.options.ignoreExcludeLb).toBe(true);
  });

  test("--lb-class, --port, --log-level", () => {
    const r = parseCommandLine(["controller", "--lb-class=metalbun", "--port=9999", "--log-level=debug"], {});
    if (r.kind !== "run") throw new Error("want options");
    expect(r.options.lbClass).toBe("metalbun");
    expect(r.options.port).toBe(9999);
    expect(r.options.logLevel).toBe("debug");
  });

  test.each([
    [["speaker"], "speaker needs --node-name or METALLB_NODE_NAME"],
    [["balancer"], 'unknown mode "balancer"; want controller or speaker'],
    [[], "missing mode"],
    [["controller", "--port=70000"], '--port: "70000" is not a port (0-65535)'],
    [
      ["controller", "--log-level=loud"],
      '--log-level: "loud" is not one of all, debug, info, warn, error, none',
    ],
    [["controller", "--node-name=x"], "--node-name is not a controller flag"],
    [["speaker", "--node-name=x", "--deployment=y"], "--deployment is not a speaker flag"],
    [["controller", "extra"], "unexpected arguments: extra"],
  ])("%j is rejected: %s", (argv, message) => {
    expect(parseCommandLine(argv, {})).toEqual({ kind: "error", message });
  });

  test("an unknown flag is rejected with its name", () => {
    const r = parseCommandLine(["controller", "--bogus"], {});
    expect(r.kind).toBe("error");
    if (r.kind === "error") expect(r.message).toContain("--bogus");
  });

  test("--help and --version", () => {
    expect(parseCommandLine(["--help"], {}).kind).toBe("help");
    expect(parseCommandLine(["speaker", "-h"], {}).kind).toBe("help");
    expect(parseCommandLine(["--version"], {})).toEqual({ kind: "version" });
  });
});
