#!/usr/bin/env bun
/**
 * `metalbun controller | speaker`: parses the command line, connects to the apiserver, serves
 * health and metrics endpoints, runs the mode's pipeline until SIGTERM/SIGINT. Wiring only.
 */
import {
  type ControllerOptions,
  type Options,
  parseCommandLine,
  type SpeakerOptions,
} from "./cli/options.ts";
import { KubeClient } from "./kube/client.ts";
import { resolveConnection } from "./kube/config.ts";
import { resources } from "./kube/resource.ts";
import { startHealthServer } from "./observability/health.ts";
import { createLogger, type Logger } from "./observability/log.ts";
import {
  allocatorMetrics,
  clientMetrics,
  createRegistry,
  startMetricsServer,
} from "./observability/metrics.ts";
import { startController } from "./pipeline/controller.ts";
import { VERSION } from "./version.ts";

/** Retry the first contact with the apiserver at this pace: it may start after us (a pod before its Service). */
const CONTACT_RETRY_MS = 1000;

/** The speaker's probes hit 127.0.0.1 on the host network (MetalLB binds there too); the controller is a normal pod. */
function healthHost(options: Options): string {
  return options.mode === "speaker" ? "127.0.0.1" : "0.0.0.0";
}

function signalled(): Promise<string> {
  return new Promise((resolve) => {
    process.once("SIGTERM", () => resolve("SIGTERM"));
    process.once("SIGINT", () => resolve("SIGINT"));
  });
}

/** Calls `attempt` until it succeeds or a signal arrives; returns undefined when stopped. */
async function untilStopped<T>(
  attempt: () => Promise<T>,
  stopped: Promise<string>,
  log: Logger,
  what: string,
  onFailure: (message: string) => void,
): Promise<T | undefined> {
  let stop = false;
  void stopped.then(() => {
    stop = true;
  });
  while (!stop) {
    try {
      return await attempt();
    } catch (error) {
      const message = (error as Error).message;
      onFailure(message);
      log.warn({ op: "startup", error: message }, `${what}; retrying`);
      await Promise.race([Bun.sleep(CONTACT_RETRY_MS), stopped]);
    }
  }
  return undefined;
}

async function runController(options: ControllerOptions, log: Logger, client: KubeClient): Promise<number> {
  const stopped = signalled();
  let notReady = (): string => "starting";
  const health = startHealthServer(healthHost(options), options.healthProbePort, () => ({
    notReadyBecause: notReady(),
  }));
  const registry = createRegistry();
  const metrics = startMetricsServer("0.0.0.0", options.port, registry);
  const running = await untilStopped(
    () =>
      startController({
        client,
        namespace: options.namespace ?? client.namespace,
        loadBalancerClass: options.lbClass,
        mlSecretName: options.mlSecretName,
        deployment: options.deployment,
        log,
        clientMetrics: clientMetrics(registry),
        allocatorMetrics: allocatorMetrics(registry),
      }),
    stopped,
    log,
    "cannot start the controller",
    (message) => {
      notReady = () => `cannot start: ${message}`;
    },
  );
  if (running) notReady = () => running.notReadyBecause();
  log.info({ op: "shutdown", signal: await stopped }, "stopping");
  await running?.stop();
  await Promise.all([health.stop(), metrics.stop()]);
  return 0;
}

async function runSpeaker(options: SpeakerOptions, log: Logger, client: KubeClient): Promise<number> {
  const stopped = signalled();
  let notReadyBecause = "apiserver not contacted yet";
  const health = startHealthServer(healthHost(options), options.healthProbePort, () => ({ notReadyBecause }));
  const reached = await untilStopped(
    () => client.list(resources.nodes, { limit: 1 }),
    stopped,
    log,
    "cannot reach the apiserver",
    (message) => {
      notReadyBecause = `apiserver unreachable: ${message}`;
    },
  );
  if (reached) {
    notReadyBecause = "";
    log.info({ op: "startup", event: "apiserverReached" }, "apiserver reached");
  }
  log.info({ op: "shutdown", signal: await stopped }, "stopping");
  await health.stop();
  return 0;
}

async function main(): Promise<number> {
  const parsed = parseCommandLine(process.argv.slice(2), process.env);
  switch (parsed.kind) {
    case "help":
      process.stdout.write(parsed.text);
      return 0;
    case "version":
      console.log(`metalbun ${VERSION}`);
      return 0;
    case "error":
      console.error(`metalbun: ${parsed.message}\nrun "metalbun --help" for usage`);
      return 2;
    case "run": {
      const { options } = parsed;
      const log = createLogger(options.logLevel, {
        component: options.mode,
        ...(options.mode === "speaker" ? { node: options.nodeName } : {}),
      });
      log.info({ op: "startup", version: VERSION, options }, `metalbun ${options.mode} starting`);
      try {
        const connection = await resolveConnection();
        log.info(
          {
            op: "startup",
            server: connection.server,
            source: connection.source,
            namespace: connection.namespace,
          },
          "connecting to the apiserver",
        );
        const client = new KubeClient(connection);
        return options.mode === "controller"
          ? await runController(options, log, client)
          : await runSpeaker(options, log, client);
      } catch (error) {
        log.error({ op: "startup", error: (error as Error).message }, "fatal");
        return 1;
      }
    }
  }
}

process.exit(await main());
