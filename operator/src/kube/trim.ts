/**
 * What a store keeps of each object: everything but `metadata.managedFields` and kubectl's
 * `last-applied-configuration` annotation. Neither is read by MetalLB's logic, and together they
 * are often larger than the rest of the object (client-go offers the same through
 * `SetTransform`/`TransformStripManagedFields`). With 10k Services and their EndpointSlices in a
 * speaker's stores, this is most of its memory.
 */
import { map, type OperatorFunction } from "rxjs";
import type { KubeObject } from "./types.ts";
import type { WatchEvent } from "./watch.ts";

export const LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

export function trimmed<T extends KubeObject>(object: T): T {
  const metadata = object.metadata;
  const annotations = metadata.annotations;
  const hasLastApplied = annotations !== undefined && LAST_APPLIED in annotations;
  if (metadata.managedFields === undefined && !hasLastApplied) return object;
  const { managedFields: _dropped, ...kept } = metadata;
  if (hasLastApplied) {
    const { [LAST_APPLIED]: _also, ...others } = annotations;
    (kept as { annotations?: Record<string, string> }).annotations = others;
  }
  return { ...object, metadata: kept };
}

/** RxJS operator: the same watch events, each object passed through `f` (list frames unchanged). */
export function mapEventObjects<T extends KubeObject, U = T>(
  f: (object: T) => U,
): OperatorFunction<WatchEvent<T>, WatchEvent<U>> {
  return map((event) => ("object" in event ? { ...event, object: f(event.object) } : event) as WatchEvent<U>);
}

/** RxJS operator: the same watch events, their objects trimmed. */
export function trimEvents<T extends KubeObject>(): OperatorFunction<WatchEvent<T>, WatchEvent<T>> {
  return mapEventObjects<T>(trimmed);
}
