/**
 * Decoding with a projection (pure: no thread, no I/O): parse JSON text and keep only what a
 * store's projection keeps. Shared by the decode Worker and by the fallback on the calling thread.
 * Watch events keep each object's resourceVersion, which the watch loop needs to resume; the
 * store's own projection drops it again.
 */
import { DecodeError } from "./decoder.ts";
import { l2StatusForSpeaker, serviceForSpeaker, sliceForElection } from "./projections.ts";
import type { KubeList, KubeObject, RawWatchEvent } from "./types.ts";

export const PROJECTIONS = {
  serviceForSpeaker,
  sliceForElection,
  l2StatusForSpeaker,
} as const satisfies Record<string, (object: never) => unknown>;

export type ProjectionName = keyof typeof PROJECTIONS;

type Project = (object: KubeObject) => KubeObject;

const projectionOf = (name: ProjectionName): Project => PROJECTIONS[name] as unknown as Project;

function parsed(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new DecodeError("not JSON", text.slice(0, 200));
  }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Objects that are not objects with metadata pass as they are: the watch loop reports them. */
function projected(project: Project, object: unknown): unknown {
  if (!isObject(object) || !isObject(object.metadata)) return object;
  const resourceVersion = object.metadata.resourceVersion;
  const kept = project(object as unknown as KubeObject);
  if (resourceVersion === undefined) return kept;
  return { ...kept, metadata: { ...kept.metadata, resourceVersion } };
}

export function decodeProjectedList<T>(text: string, name: ProjectionName): KubeList<T> {
  const body = parsed(text);
  if (!isObject(body) || !Array.isArray(body.items)) return body as KubeList<T>;
  const project = projectionOf(name);
  return { ...body, items: body.items.map((item: unknown) => projected(project, item)) } as KubeList<T>;
}

const PROJECTED_EVENTS = new Set(["ADDED", "MODIFIED", "DELETED"]);

export function decodeProjectedEvents<T>(lines: readonly string[], name: ProjectionName): RawWatchEvent<T>[] {
  const project = projectionOf(name);
  return lines.map((line) => {
    const event = parsed(line);
    if (!isObject(event) || typeof event.type !== "string" || !PROJECTED_EVENTS.has(event.type)) {
      return event as RawWatchEvent<T>;
    }
    return { ...event, object: projected(project, event.object) } as RawWatchEvent<T>;
  });
}
