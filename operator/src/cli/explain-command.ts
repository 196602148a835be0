/**
 * `metalbun explain`: connect like kubectl (kubeconfig, --context, exec plugins), read the
 * snapshot once, run the domain's explanation, print it. Wiring only; exit codes as the usage says.
 */
import { clusterSummary } from "../domain/explain/cluster-summary.ts";
import { explainService } from "../domain/explain/explain-service.ts";
import { KubeClient } from "../kube/client.ts";
import { resolveConnection } from "../kube/config.ts";
import { readExplainSnapshot } from "../kube/explain-snapshot.ts";
import { VERSION } from "../version.ts";
import { parseExplainCommandLine } from "./explain-options.ts";
import { render } from "./explain-render.ts";

export const EXIT_ANNOUNCED = 0;
export const EXIT_NOT_ANNOUNCED = 1;
export const EXIT_ERROR = 2;

const PERMISSIONS_HINT =
  "explain reads with the permissions of the ClusterRole view (with metallb-system:explain, which the bundle aggregates into it), bound cluster-wide";

interface Io {
  readonly out: (text: string) => void;
  readonly err: (text: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
}

const processIo: Io = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  env: process.env,
};

export async function runExplain(argv: readonly string[], io: Io = processIo): Promise<number> {
  const parsed = parseExplainCommandLine(argv, io.env);
  if (parsed.kind === "help") {
    io.out(parsed.text);
    return EXIT_ANNOUNCED;
  }
  if (parsed.kind === "error") {
    io.err(`metalbun explain: ${parsed.message}\nrun "metalbun explain --help" for usage\n`);
    return EXIT_ERROR;
  }
  const command = parsed.command;
  try {
    const connection = await resolveConnection({
      env: { ...io.env, METALLB_NAMESPACE: command.metallbNamespace },
      ...(command.kubeconfig !== undefined && { kubeconfig: command.kubeconfig }),
      ...(command.context !== undefined && { context: command.context }),
      homeKubeconfig: true,
    });
    const client = new KubeClient(connection, { userAgent: `metalbun-explain/${VERSION}` });
    const read = await readExplainSnapshot(client, command.metallbNamespace);
    // Without Services there is nothing to explain: say which permission is missing, not "not found".
    const services = read.problems.find((p) => p.resource === "services");
    if (services !== undefined) {
      io.err(`metalbun explain: cannot list services: ${services.message}\n${PERMISSIONS_HINT}\n`);
      return EXIT_ERROR;
    }
    const options = {
      loadBalancerClass: command.lbClass ?? read.flags.lbClass ?? "",
      ignoreExcludeLB: read.flags.ignoreExcludeLB ?? false,
      nonRevertive: read.flags.nonRevertive ?? false,
      namespace: command.metallbNamespace,
      now: new Date().toISOString(),
    };
    if (command.service === undefined) {
      const summary = clusterSummary(read.snapshot, options);
      io.out(render(summary, command.output, read.problems));
      return summary.healthy ? EXIT_ANNOUNCED : EXIT_NOT_ANNOUNCED;
    }
    const namespace = command.namespace ?? connection.contextNamespace ?? "default";
    const explanation = explainService(read.snapshot, namespace, command.service, options);
    io.out(render(explanation, command.output, read.problems));
    return explanation.healthy ? EXIT_ANNOUNCED : EXIT_NOT_ANNOUNCED;
  } catch (error) {
    io.err(`metalbun explain: ${(error as Error).message}\n`);
    return EXIT_ERROR;
  }
}
