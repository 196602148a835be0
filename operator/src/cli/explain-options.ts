/**
 * The command line of `metalbun explain [svc/NAME] [-n NS] [-o table|json|yaml] [--context C]
 * [--kubeconfig F] [--lb-class C] [--metallb-namespace NS]`, also run as `kubectl metalbun explain`.
 * Flag names follow kubectl's where kubectl has one.
 */
import { parseArgs } from "node:util";

export type OutputFormat = "table" | "json" | "yaml";

export interface ExplainCommand {
  /** undefined: the cluster summary. */
  readonly service: string | undefined;
  /** -n; undefined: the kubeconfig context's namespace, else "default". */
  readonly namespace: string | undefined;
  readonly output: OutputFormat;
  readonly context: string | undefined;
  readonly kubeconfig: string | undefined;
  /** undefined: the running controller's (read from its Pod), else "". */
  readonly lbClass: string | undefined;
  /** Where the metallb.io objects live. */
  readonly metallbNamespace: string;
}

export type ExplainParse =
  | { readonly kind: "explain"; readonly command: ExplainCommand }
  | { readonly kind: "help"; readonly text: string }
  | { readonly kind: "error"; readonly message: string };

export const EXPLAIN_USAGE = `metalbun explain: why a LoadBalancer Service is (not) reachable, step by step

usage:
  metalbun explain svc/NAME [-n NAMESPACE] [flags]   one Service: every decision and its reason
  metalbun explain [flags]                           the cluster: pools, advertisements, speakers, errors
  kubectl metalbun explain ...                       the same, as a kubectl plugin

flags:
  -n, --namespace NS          the Service's namespace (default: the context's, else default)
  -o, --output FORMAT         table (default), json or yaml
      --context NAME          the kubeconfig context to use
      --kubeconfig PATH       the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)
      --lb-class NAME         the --lb-class metalbun runs with (default: read from the controller Pod)
      --metallb-namespace NS  where the metallb.io objects live [METALLB_NAMESPACE] (default metallb-system)

exit status: 0 when announced as decided (or, for the cluster, no problem found), 1 otherwise,
2 when the command line or the connection fails.
`;

const FLAGS = {
  help: { type: "boolean", short: "h" },
  namespace: { type: "string", short: "n" },
  output: { type: "string", short: "o" },
  context: { type: "string" },
  kubeconfig: { type: "string" },
  "lb-class": { type: "string" },
  "metallb-namespace": { type: "string" },
} as const;

const SERVICE_PREFIXES = ["svc/", "service/", "services/"];

/** `svc/NAME`, `service/NAME`, `services/NAME` or a bare NAME; another kind is an error. */
function serviceName(arg: string): string | { error: string } {
  const prefix = SERVICE_PREFIXES.find((p) => arg.startsWith(p));
  if (prefix !== undefined) return arg.slice(prefix.length) || { error: `no Service name in "${arg}"` };
  if (arg.includes("/")) return { error: `"${arg}": only Services can be explained (svc/NAME)` };
  return arg;
}

export function parseExplainCommandLine(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): ExplainParse {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof FLAGS; allowPositionals: true; args: string[] }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: FLAGS, allowPositionals: true, strict: true });
  } catch (e) {
    return { kind: "error", message: (e as Error).message };
  }
  const { values, positionals } = parsed;
  if (values.help) return { kind: "help", text: EXPLAIN_USAGE };
  if (positionals.length > 1)
    return { kind: "error", message: `unexpected arguments: ${positionals.slice(1).join(" ")}` };
  const output = values.output ?? "table";
  if (output !== "table" && output !== "json" && output !== "yaml")
    return { kind: "error", message: `--output: "${output}" is not one of table, json, yaml` };
  let service: string | undefined;
  if (positionals[0] !== undefined) {
    const name = serviceName(positionals[0]);
    if (typeof name !== "string") return { kind: "error", message: name.error };
    service = name;
  }
  return {
    kind: "explain",
    command: {
      service,
      namespace: values.namespace || undefined,
      output,
      context: values.context || undefined,
      kubeconfig: values.kubeconfig || undefined,
      lbClass: values["lb-class"],
      metallbNamespace: values["metallb-namespace"] || env.METALLB_NAMESPACE || "metallb-system",
    },
  };
}
