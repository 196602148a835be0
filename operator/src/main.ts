#!/usr/bin/env bun
/**
 * `metalbun controller | speaker`: parses the command line, connects to the apiserver, serves health
 * endpoints, and runs until SIGTERM/SIGINT. No logic lives here, only wiring.
 */
import { type Options, parseCommandLine } from "./cli/options.ts";
import { KubeClient } from "./kube/client.ts";
import { resolveConnection } from "./kube/config.ts";
import { resources } from "./kube/resource.ts";
import { startHealthServer } from "./observability/health.ts";
import { createLogger, type Logger } from "./observability/log.ts";
import { VERSION } from "./version.ts";

/** Retry the first contact with the apiserver at this pace: it may start after us (a pod before its Service). */
const CONTACT_RETRY_MS = 1000;

/** The speaker's probes hit 127.0.0.1 on the host network (MetalLB binds there too); the controller is a normal pod. */
function healthHost(options: Options): string {
  return options.mode === "speaker" ? "127.0.0.1" : "0.0.0.0";
}

/** One cheap read of what this mode watches first, proving reachability and the role's list right. */
async function contactApiserver(client: KubeClient, options: Options): Promise<void> {
  if (options.mode === "controller") await client.list(resources.services, { limit: 1 });
  else await client.list(resources.nodes, { limit: 1 });
}

async function run(options: Options, log: Logger): Promise<number> {
  let notReadyBecause = "apiserver not contacted yet";
  const health = startHealthServer(healthHost(options), options.healthProbePort, () => ({ notReadyBecause }));
  const stopped = new Promise<string>((resolve) => {
    process.once("SIGTERM", () => resolve("SIGTERM"));
    process.once("SIGINT", () => resolve("SIGINT"));
  });

  const connection = await resolveConnection();
  const client = new KubeClient(connection);
  log.info(
    { op: "startup", server: connection.server, source: connection.source, namespace: connection.namespace },
    "connecting to the apiserver",
  );
  let signal: string | undefined;
  void stopped.then((s) => {
    signal = s;
  });
  while (signal === undefined) {
    try {
      await contactApiserver(client, options);
      notReadyBecause = "";
      log.info({ op: "startup", event: "apiserverReached" }, "apiserver reached");
      break;
    } catch (error) {
      notReadyBecause = `apiserver unreachable: ${(error as Error).message}`;
      log.warn({ op: "startup", error: (error as Error).message }, "cannot reach the apiserver; retrying");
      await Promise.race([Bun.sleep(CONTACT_RETRY_MS), stopped]);
    }
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
        return await run(options, log);
      } catch (error) {
        log.error({ op: "startup", error: (error as Error).message }, "fatal");
        return 1;
      }
    }
  }
}

process.exit(await main());
