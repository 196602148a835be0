import type { KubeClient } from "./client.ts";
import { resources } from "./resource.ts";
import type { KubeObject } from "./types.ts";

/** core/v1 Event, the kind `kubectl describe` lists under "Events:". */
export interface CoreEvent extends KubeObject {
  involvedObject: ObjectReference;
  reason: string;
  message: string;
  type: "Normal" | "Warning";
  source: { component: string; host?: string };
  firstTimestamp: string;
  lastTimestamp: string;
  count: number;
  reportingComponent: string;
  reportingInstance: string;
}

export interface ObjectReference {
  apiVersion?: string;
  kind?: string;
  namespace?: string;
  name?: string;
  uid?: string;
  resourceVersion?: string;
}

export interface EventInput {
  /** The object the event is about; its uid must be set, `kubectl describe` selects events by it. */
  about: KubeObject;
  type: "Normal" | "Warning";
  /** UpperCamelCase machine-readable reason, e.g. "IPAllocated", "nodeAssigned" (MetalLB's strings). */
  reason: string;
  message: string;
  /** Who reports, e.g. "metallb-controller" / "metallb-speaker" as MetalLB's recorders do. */
  component: string;
  /** The node, for speaker events. */
  host?: string;
}

/**
 * The Event object for `input` at `now`. Named `<object>.<hex>` like client-go's recorder, in the
 * object's namespace ("default" for cluster-scoped objects, as client-go does) so the
 * apiserver's check that an Event lives with its object passes.
 */
export function eventFor(input: EventInput, now: Date, uniqueSuffix: string): CoreEvent {
  const { metadata } = input.about;
  const namespace = metadata.namespace || "default";
  const timestamp = now.toISOString().replace(/\.\d+Z$/, "Z");
  return {
    apiVersion: "v1",
    kind: "Event",
    metadata: { name: `${metadata.name}.${uniqueSuffix}`, namespace },
    involvedObject: {
      apiVersion: input.about.apiVersion,
      kind: input.about.kind,
      namespace: metadata.namespace,
      name: metadata.name,
      uid: metadata.uid,
      resourceVersion: metadata.resourceVersion,
    },
    reason: input.reason,
    message: input.message,
    type: input.type,
    source: { component: input.component, ...(input.host && { host: input.host }) },
    firstTimestamp: timestamp,
    lastTimestamp: timestamp,
    count: 1,
    reportingComponent: input.component,
    reportingInstance: input.host ?? input.component,
  };
}

/** Creates one Event about an object. The caller decides about rate limiting and aggregation. */
export async function createEvent(
  client: KubeClient,
  input: EventInput,
  now = new Date(),
): Promise<CoreEvent> {
  const suffix = (now.getTime() * 1000 + Math.floor(Math.random() * 1000)).toString(16);
  return client.create<CoreEvent>(resources.events, eventFor(input, now, suffix));
}
