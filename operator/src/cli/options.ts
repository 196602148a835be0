/**
 * The command line of `metalbun controller` and `metalbun speaker`. Flag and environment names follow
 * MetalLB v0.16.1 (controller/main.go, speaker/main.go) so a MetalLB manifest's args and env carry over:
 * a flag given on the command line wins over its environment variable, which wins over the default.
 */
import { parseArgs } from "node:util";
import { parseGoDuration } from "../domain/config/duration.ts";

export type Mode = "controller" | "speaker";
export const LOG_LEVELS = ["all", "debug", "info", "warn", "error", "none"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface CommonOptions {
  readonly logLevel: LogLevel;
  /** Metrics port (MetalLB: 9120). */
  readonly port: number;
  /** /healthz and /readyz (MetalLB: 17472). */
  readonly healthProbePort: number;
  /** Empty: only Services without spec.loadBalancerClass; set: only that exact class. */
  readonly lbClass: string;
  /** Where our CRs live; in-cluster the pod's namespace file wins (see kube/config). */
  readonly namespace: string | undefined;
}

export interface ControllerOptions extends CommonOptions {
  readonly mode: "controller";
  /** Name of the memberlist Secret the controller creates if absent (METALLB_ML_SECRET_NAME). */
  readonly mlSecretName: string;
  /** The controller's Deployment, owner of the memberlist Secret (METALLB_DEPLOYMENT). */
  readonly deployment: string;
}

export interface SpeakerOptions extends CommonOptions {
  readonly mode: "speaker";
  readonly nodeName: string;
  readonly host: string | undefined;
  readonly mlBindAddr: string | undefined;
  readonly mlBindPort: number;
  readonly mlLabels: string | undefined;
  readonly mlSecretKeyPath: string | undefined;
  readonly ignoreExcludeLb: boolean;
  /**
   * Not in MetalLB: a Layer 2 owner keeps its IPs while it stays a candidate, so a node that comes
   * back does not take them back (one move per failure instead of two). MetalLB's default is
   * revertive.
   */
  readonly l2NonRevertive: boolean;
  /**
   * Not in MetalLB v0.16 (its later #3125 adds the same idea): every this many ms, a gratuitous
   * ARP / unsolicited NA for every IP this node announces by Layer 2, so a switch whose FDB ages
   * out before the clients' ARP caches keeps sending to the owner (MetalLB #2910). 0: off, as in
   * MetalLB, which sends them only when an IP moves.
   */
  readonly l2GratuitousIntervalMs: number;
}

export type Options = ControllerOptions | SpeakerOptions;

export type ParseResult =
  | { readonly kind: "run"; readonly options: Options }
  | { readonly kind: "help"; readonly text: string }
  | { readonly kind: "version" }
  | { readonly kind: "error"; readonly message: string };

type Env = Readonly<Record<string, string | undefined>>;

export const USAGE = `metalbun: a bare-metal LoadBalancer for Kubernetes that speaks MetalLB's API

usage:
  metalbun controller [flags]   assign External IPs to type: LoadBalancer Services
  metalbun speaker [flags]      announce them from this node (ARP/NDP or BGP)
  metalbun explain [svc/NAME]   why a Service is (not) reachable ("metalbun explain --help")
  metalbun --help | --version

common flags (environment variable in brackets):
  --log-level LEVEL          all|debug|info|warn|error|none (default info)
  --port N                   metrics port (default 9120)
  --health-probe-port N      /healthz and /readyz port (default 17472)
  --lb-class NAME            serve only Services of this loadBalancerClass
                             (default: only Services without a class)
  --namespace NS             namespace of the metallb.io resources [METALLB_NAMESPACE]
                             (default: the pod's namespace in a cluster, else metallb-system)

controller flags:
  --ml-secret-name NAME      memberlist Secret to create if absent [METALLB_ML_SECRET_NAME] (default memberlist)
  --deployment NAME          the controller Deployment, owner of that Secret [METALLB_DEPLOYMENT] (default controller)

speaker flags:
  --node-name NAME           this node (required) [METALLB_NODE_NAME]
  --host IP                  this node's address [METALLB_HOST]
  --ml-bindaddr IP           membership bind address [METALLB_ML_BIND_ADDR]
  --ml-bindport N            membership port (default 7946) [METALLB_ML_BIND_PORT]
  --ml-labels SELECTOR       label selector of speaker pods [METALLB_ML_LABELS]
  --ml-secret-key-path PATH  membership key file [METALLB_ML_SECRET_KEY_PATH]
  --ignore-exclude-lb        announce from nodes labelled node.kubernetes.io/exclude-from-external-load-balancers
  --l2-non-revertive         keep Layer 2 IPs where they are when a failed node returns [METALBUN_L2_NON_REVERTIVE=true]
  --l2-gratuitous-interval D also send gratuitous ARP / unsolicited NA for every Layer 2 IP every D
                             (e.g. 30s, 5m; 1s to 24h; default 0 = only when an IP moves)
                             [METALBUN_L2_GRATUITOUS_INTERVAL]

The apiserver is found in-cluster (ServiceAccount token and CA, KUBERNETES_SERVICE_HOST/PORT)
unless KUBECONFIG is set.
`;

const FLAGS = {
  help: { type: "boolean", short: "h" },
  version: { type: "boolean" },
  "log-level": { type: "string" },
  port: { type: "string" },
  "health-probe-port": { type: "string" },
  "lb-class": { type: "string" },
  namespace: { type: "string" },
  "ml-secret-name": { type: "string" },
  deployment: { type: "string" },
  "node-name": { type: "string" },
  host: { type: "string" },
  "ml-bindaddr": { type: "string" },
  "ml-bindport": { type: "string" },
  "ml-labels": { type: "string" },
  "ml-secret-key-path": { type: "string" },
  "ignore-exclude-lb": { type: "boolean" },
  "l2-non-revertive": { type: "boolean" },
  "l2-gratuitous-interval": { type: "string" },
} as const;

const CONTROLLER_ONLY = ["ml-secret-name", "deployment"] as const;
const SPEAKER_ONLY = [
  "node-name",
  "host",
  "ml-bindaddr",
  "ml-bindport",
  "ml-labels",
  "ml-secret-key-path",
  "ignore-exclude-lb",
  "l2-non-revertive",
  "l2-gratuitous-interval",
] as const;

class OptionError extends Error {}

function port(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === "") return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new OptionError(`--${name}: "${raw}" is not a port (0-65535)`);
  return n;
}

/**
 * The smallest and largest period accepted. Below a second it would outpace MetalLB's own failover
 * bursts (1.1 s apart) and flood a segment with many IPs; above a day a timer cannot hold it and no
 * switch ages entries that slowly.
 */
export const GRATUITOUS_INTERVAL_MIN_MS = 1000;
export const GRATUITOUS_INTERVAL_MAX_MS = 24 * 3_600_000;

/** A Go duration ("30s", "1m30s"), a bare number of seconds, or 0 for off. */
function gratuitousInterval(raw: string | undefined): number {
  if (raw === undefined || raw === "") return 0;
  const ms = /^[0-9]+(\.[0-9]+)?$/.test(raw) ? Number(raw) * 1000 : parseGoDuration(raw);
  if (ms === undefined || ms < 0)
    throw new OptionError(
      `--l2-gratuitous-interval: "${raw}" is not a duration (e.g. 30s, 5m, or 0 for off)`,
    );
  if (ms !== 0 && (ms < GRATUITOUS_INTERVAL_MIN_MS || ms > GRATUITOUS_INTERVAL_MAX_MS))
    throw new OptionError(`--l2-gratuitous-interval: "${raw}" is outside 1s..24h (0 turns it off)`);
  return Math.round(ms);
}

function nonEmpty(v: string | undefined): string | undefined {
  return v === undefined || v === "" ? undefined : v;
}

/** Parses argv (without the runtime and script) and the environment into options, help, version or an error. */
export function parseCommandLine(argv: readonly string[], env: Env): ParseResult {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof FLAGS; allowPositionals: true; args: string[] }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: FLAGS, allowPositionals: true, strict: true });
  } catch (e) {
    return { kind: "error", message: (e as Error).message };
  }
  const { values, positionals } = parsed;
  if (values.version) return { kind: "version" };
  if (values.help) return { kind: "help", text: USAGE };
  const [mode, ...extra] = positionals;
  if (mode !== "controller" && mode !== "speaker") {
    return {
      kind: "error",
      message: mode ? `unknown mode "${mode}"; want controller or speaker` : "missing mode",
    };
  }
  if (extra.length > 0) return { kind: "error", message: `unexpected arguments: ${extra.join(" ")}` };
  const foreign = mode === "controller" ? SPEAKER_ONLY : CONTROLLER_ONLY;
  const misplaced = foreign.filter((f) => values[f] !== undefined);
  if (misplaced.length > 0) return { kind: "error", message: `--${misplaced[0]} is not a ${mode} flag` };

  try {
    const logLevel = values["log-level"] ?? "info";
    if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
      throw new OptionError(`--log-level: "${logLevel}" is not one of ${LOG_LEVELS.join(", ")}`);
    }
    const common: CommonOptions = {
      logLevel: logLevel as LogLevel,
      port: port("port", values.port, 9120),
      healthProbePort: port("health-probe-port", values["health-probe-port"], 17472),
      lbClass: values["lb-class"] ?? "",
      namespace: nonEmpty(values.namespace ?? env.METALLB_NAMESPACE),
    };
    if (mode === "controller") {
      return {
        kind: "run",
        options: {
          ...common,
          mode,
          mlSecretName: nonEmpty(values["ml-secret-name"] ?? env.METALLB_ML_SECRET_NAME) ?? "memberlist",
          deployment: nonEmpty(values.deployment ?? env.METALLB_DEPLOYMENT) ?? "controller",
        },
      };
    }
    const nodeName = nonEmpty(values["node-name"] ?? env.METALLB_NODE_NAME);
    if (nodeName === undefined) throw new OptionError("speaker needs --node-name or METALLB_NODE_NAME");
    return {
      kind: "run",
      options: {
        ...common,
        mode,
        nodeName,
        host: nonEmpty(values.host ?? env.METALLB_HOST),
        mlBindAddr: nonEmpty(values["ml-bindaddr"] ?? env.METALLB_ML_BIND_ADDR),
        mlBindPort: port("ml-bindport", values["ml-bindport"] ?? env.METALLB_ML_BIND_PORT, 7946),
        mlLabels: nonEmpty(values["ml-labels"] ?? env.METALLB_ML_LABELS),
        mlSecretKeyPath: nonEmpty(values["ml-secret-key-path"] ?? env.METALLB_ML_SECRET_KEY_PATH),
        ignoreExcludeLb: values["ignore-exclude-lb"] ?? false,
        l2NonRevertive: values["l2-non-revertive"] ?? env.METALBUN_L2_NON_REVERTIVE === "true",
        l2GratuitousIntervalMs: gratuitousInterval(
          values["l2-gratuitous-interval"] ?? env.METALBUN_L2_GRATUITOUS_INTERVAL,
        ),
      },
    };
  } catch (e) {
    if (e instanceof OptionError) return { kind: "error", message: e.message };
    throw e;
  }
}
