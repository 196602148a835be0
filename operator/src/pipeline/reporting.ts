/**
 * What the controller's and the speaker's pipelines do alike after a reconcile, in one place:
 * report write failures, post (and log) the reconciler's Service Events, log a configuration that
 * changed validity, log and count watch retries, and the RFC 3339 "now" reconcilers read.
 */
import type { ConfigError } from "../domain/config/errors.ts";
import type { KubeClient } from "../kube/client.ts";
import { EventSink } from "../kube/event-sink.ts";
import type { RetryInfo } from "../kube/watch.ts";
import type { Logger } from "../observability/log.ts";
import type { ClientMetrics } from "../observability/metrics.ts";

/** A Service Event a reconciler asks for. */
export interface ServiceEventIntent {
  readonly namespace: string;
  readonly name: string;
  readonly uid: string;
  readonly event: { readonly type: "Normal" | "Warning"; readonly reason: string; readonly message: string };
}

/** RFC 3339 without fractions, as Kubernetes writes condition times. */
export function rfc3339Seconds(date: Date): string {
  return date.toISOString().replace(/\.\d+Z$/, "Z");
}

/** A KeyedWriter's onError: counted in metallb_k8s_client_update_errors_total and logged. */
export function writeErrorReporter(log: Logger, metrics: ClientMetrics) {
  return (what: string) => (key: string, error: unknown, attempt: number, terminal: boolean) => {
    metrics.updateErrors.inc();
    log.warn({ op: what, key, attempt, terminal, error: (error as Error).message }, `${what} failed`);
  };
}

/** Logs each Event (Warning as warn) under `op`, then posts them all on their Services. */
export function postServiceEvents(
  events: EventSink,
  log: Logger,
  op: string,
  intents: readonly ServiceEventIntent[],
  component: string,
  host?: string,
): void {
  for (const intent of intents) {
    const fields = { op, service: `${intent.namespace}/${intent.name}`, event: intent.event.reason };
    if (intent.event.type === "Warning") log.warn(fields, intent.event.message);
    else log.info(fields, intent.event.message);
  }
  events.post(
    intents.map((i) => ({
      about: {
        apiVersion: "v1",
        kind: "Service",
        metadata: { name: i.name, namespace: i.namespace, uid: i.uid },
      },
      type: i.event.type,
      reason: i.event.reason,
      message: i.event.message,
      component,
      ...(host !== undefined && { host }),
    })),
  );
}

/**
 * Logs the configuration's errors when they change (and "configuration valid" when they go);
 * returns whether they changed, so the caller can post its own reports once.
 */
export function configErrorLogger(log: Logger) {
  let last: string | undefined;
  return (errors: readonly ConfigError[]): boolean => {
    const print = errors.map((e) => e.message).join("\n");
    if (print === last) return false;
    last = print;
    if (print === "") log.info({ op: "setConfig" }, "configuration valid");
    else
      log.error(
        { op: "setConfig", errors: errors.map((e) => e.message) },
        "failed to parse the configuration; keeping the last good one",
      );
    return true;
  };
}

/** A list+watch's onRetry: never silent (a warn line, or debug for a plain stream end), and counted. */
export function watchRetryReporter(log: Logger, metrics: ClientMetrics) {
  return (resource: string) =>
    (info: RetryInfo): void => {
      metrics.watchRetries.inc({ resource, relist: String(info.relist) });
      const fields = {
        op: "watch",
        resource,
        delayMs: Math.round(info.delayMs),
        relist: info.relist,
        ...(info.error !== undefined && { error: (info.error as Error)?.message ?? String(info.error) }),
      };
      if (info.error === undefined) log.debug(fields, "watch ended; resuming");
      else log.warn(fields, "watch failed; retrying");
    };
}

/** An EventSink whose failures are logged (an Event that cannot be posted is never fatal). */
export function loggingEventSink(client: KubeClient, log: Logger): EventSink {
  return new EventSink(client, {
    onError: (input, error) =>
      log.warn(
        { op: "event", reason: input.reason, error: (error as Error).message },
        "could not post event",
      ),
  });
}
