#!/usr/bin/env bun
import { BfdHost } from "./announcers/bfd/host.ts";
import { BgpAnnouncer } from "./announcers/bgp/announcer.ts";
import { workerSessionFactory } from "./announcers/bgp/session-worker-host.ts";
import { L2Announcer } from "./announcers/l2/announcer.ts";
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
import { DEFAULT_EXCLUDE_PATTERNS } from "./domain/speaker/exclude-interfaces.ts";
import { KubeClient } from "./kube/client.ts";
import { resolveConnection } from "./kube/config.ts";
import { getSecret } from "./kube/secrets.ts";
import {
  Membership,
  membershipMetrics,
  OnDemandMembership,
  readMembershipSecret,
} from "./membership/index.ts";
import { bfdMetrics } from "./observability/bfd-metrics.ts";
import { bgpMetrics } from "./observability/bgp-metrics.ts";
import { startHealthServer } from "./observability/health.ts";
import { createLogger, type Logger } from "./observability/log.ts";
import {
  allocatorMetrics,
  clientMetrics,
  createRegistry,
  speakerMetrics,
  startMetricsServer,
} from "./observability/metrics.ts";
import { startController } from "./pipeline/controller.ts";
import { type RunningSpeaker, startSpeaker } from "./pipeline/speaker.ts";
import { IdleTrimmer } from "./runtime/idle-trim.ts";
import { runStopSteps } from "./runtime/stop-steps.ts";
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
  const trimmer = idleTrimmer(log);
  const running = await untilStopped(
    () =>
      startController({
        onCycle: (ms) => trimmer.noteCycle(ms),
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
  await runStopSteps(log, [
    ["pipeline", () => running?.stop()],
    ["servers", () => Promise.all([health.stop(), metrics.stop()])],
  ]);
  return 0;
}

/**
 * The memberlist key as MetalLB's speaker gets it (the Secret mounted at --ml-secret-key-path), or,
 * when nothing is mounted there, read from the API (the speaker's Role may read Secrets in its
 * namespace). Waits for the controller to create it: a speaker without the shared key could not
 * talk to the others.
 */
async function memberlistKey(
  options: SpeakerOptions,
  client: KubeClient,
  namespace: string,
): Promise<Uint8Array> {
  const mounted = readMembershipSecret(options.mlSecretKeyPath);
  if (mounted !== undefined) return mounted;
  const secret = await getSecret(client, namespace, "memberlist");
  const value = secret.data?.secretkey;
  if (value === undefined) throw new Error(`Secret ${namespace}/memberlist has no secretkey`);
  return new Uint8Array(Buffer.from(value, "base64"));
}

async function runSpeaker(options: SpeakerOptions, log: Logger, client: KubeClient): Promise<number> {
  const stopped = signalled();
  let notReady = (): string => "starting";
  const health = startHealthServer(healthHost(options), options.healthProbePort, () => ({
    notReadyBecause: notReady(),
  }));
  const registry = createRegistry();
  const metricsServer = startMetricsServer(options.host ?? "0.0.0.0", options.port, registry);
  const speaker = speakerMetrics(registry);
  const namespace = options.namespace ?? client.namespace;

  const trimmer = idleTrimmer(log);
  const announcer = new L2Announcer({
    // No sockets nor receive Worker until the configuration has an L2Advertisement (setDesired).
    configured: false,
    excludeInterfaces: DEFAULT_EXCLUDE_PATTERNS.map((p) => new RegExp(p)),
    periodicGratuitousMs: options.l2GratuitousIntervalMs,
    log,
    metrics: {
      requestReceived: (ip) => speaker.layer2RequestsReceived.inc({ ip }),
      responseSent: (ip) => speaker.layer2ResponsesSent.inc({ ip }),
      gratuitousSent: (ip) => speaker.layer2GratuitousSent.inc({ ip }),
    },
  });
  // BFD on the "bfd" thread, started with the first peer that names a bfdProfile.
  const bfd = new BfdHost({
    change: (peer, change) => bgpAnnouncer.bfdChanged(peer, change),
    problem: (detail) => log.warn({ op: "bfd" }, detail),
  });
  bfdMetrics(registry, bfd);
  const bgpAnnouncer: BgpAnnouncer = new BgpAnnouncer({
    nodeName: options.nodeName,
    log,
    metrics: bgpMetrics(registry),
    // Sessions on the "bgp" thread: keepalives and hold timers never wait for the reconcile.
    sessionFactory: workerSessionFactory({ log }),
    bfd,
  });
  let membership: OnDemandMembership | undefined;
  let running: RunningSpeaker | undefined;
  const started = await untilStopped(
    async () => {
      if (options.mlBindAddr !== undefined) {
        const key = await memberlistKey(options, client, namespace);
        const bindAddress = options.mlBindAddr;
        const metrics = membershipMetrics(registry);
        // Beating from the start, before the initial list, as a Layer 2 speaker always did: the
        // others hear a restarted speaker as early as before, so the moment between their
        // yielding its IPs and its claiming them does not grow. The first synced snapshot, then
        // every reconcile, say whether it is still wanted (a BGP-only speaker stops it).
        membership = new OnDemandMembership(
          () =>
            new Membership({
              nodeName: options.nodeName,
              key,
              bindAddress,
              port: options.mlBindPort,
              log,
              metrics,
            }),
          log,
        );
        membership.setWanted(true);
      } else {
        log.warn(
          { op: "membership" },
          "no --ml-bindaddr: membership disabled, every Node counts as a live speaker",
        );
      }
      await announcer.start();
      await bgpAnnouncer.start();
      return true;
    },
    stopped,
    log,
    "cannot start the speaker",
    (message) => {
      notReady = () => `cannot start: ${message}`;
    },
  );
  if (started) {
    running = startSpeaker({
      onCycle: (ms) => trimmer.noteCycle(ms),
      client,
      namespace,
      nodeName: options.nodeName,
      loadBalancerClass: options.lbClass,
      ignoreExcludeLB: options.ignoreExcludeLb,
      nonRevertive: options.l2NonRevertive,
      announcers: { l2: announcer, bgp: bgpAnnouncer },
      membership,
      log,
      clientMetrics: clientMetrics(registry),
      speakerMetrics: speaker,
    });
    notReady = () => running?.notReadyBecause() ?? "stopping";
  }
  log.info({ op: "shutdown", signal: await stopped }, "stopping");
  // Make-before-break: freeze what we announce, tell the others we leave (they take over and send
  // their gratuitous ARP/NA), keep answering a moment, then go quiet.
  await runStopSteps(log, [
    ["pipeline", () => running?.stop()],
    ["membershipLeave", () => membership?.leave()],
    // Both at once: Layer 2 keeps answering for the overlap while BGP withdraws, waits for the
    // routers to move traffic, then ends its sessions.
    [
      "announcers",
      () =>
        Promise.all([announcer.stop(membership?.active ? "handover" : "now"), bgpAnnouncer.stop("handover")]),
    ],
    ["membershipStop", () => membership?.stop()],
    ["servers", () => Promise.all([health.stop(), metricsServer.stop()])],
  ]);
  return 0;
}

async function main(): Promise<number> {
  // `metalbun explain ...` (and `kubectl metalbun explain ...`, which runs the same arguments).
  if (process.argv[2] === "explain") {
    const { runExplain } = await import("./cli/explain-command.ts");
    return runExplain(process.argv.slice(3));
  }
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

/** Memory back to the OS after bursts of reconciling (runtime/idle-trim.ts). */
function idleTrimmer(log: Logger): IdleTrimmer {
  return new IdleTrimmer({
    onTrim: ({ busyMs, trimMs }) =>
      log.debug({ op: "memory", busyMs: Math.round(busyMs), trimMs: Math.round(trimMs) }, "heap trimmed"),
  });
}

process.exit(await main());
