/**
 * Where a Service can be served from, read from its EndpointSlices. MetalLB's Layer 2 speaker
 * announces a Service only while at least one endpoint anywhere can serve, and with
 * externalTrafficPolicy Local elects only among nodes hosting such an endpoint (§4.2, §4.3).
 */
import {
  type EndpointConditions,
  type EndpointSlice,
  LABEL_ENDPOINT_SLICE_SERVICE_NAME,
  serviceKey,
} from "../api/core.ts";

export interface ServingEndpoints {
  /** Some endpoint of the Service can serve (on a known node or not). */
  readonly any: boolean;
  /** Nodes (`endpoint.nodeName`) hosting an endpoint that can serve. */
  readonly nodes: ReadonlySet<string>;
}

export const NO_SERVING_ENDPOINTS: ServingEndpoints = { any: false, nodes: new Set() };

/**
 * An endpoint "can serve" when `ready` is unset or true, or when `serving` is true: a terminating
 * endpoint that still serves keeps the Service announced (MetalLB 0.14.5, graceful shutdown), and
 * an unset `ready` means unknown, which Kubernetes says to treat as ready.
 */
export function endpointCanServe(conditions: EndpointConditions | undefined): boolean {
  const ready = conditions?.ready;
  return ready === undefined || ready === null || ready === true || conditions?.serving === true;
}

/**
 * Per slice object, its Service key and a one-element list of it: most Services have one slice,
 * and the speaker groups 10k slices on every run. Reusing both keeps a run from allocating 10k
 * strings and lists that are garbage a moment later (and keeps the lists' identity, which the
 * decision memo compares). The lists are never mutated: a second slice starts a new list.
 */
const grouping = new WeakMap<
  EndpointSlice,
  { readonly key: string | undefined; readonly alone: readonly EndpointSlice[] }
>();

function groupingOf(slice: EndpointSlice): {
  readonly key: string | undefined;
  readonly alone: readonly EndpointSlice[];
} {
  let found = grouping.get(slice);
  if (found === undefined) {
    const service = slice.metadata?.labels?.[LABEL_ENDPOINT_SLICE_SERVICE_NAME];
    const key =
      typeof service !== "string" || service === ""
        ? undefined
        : serviceKey(slice.metadata.namespace ?? "", service);
    found = { key, alone: [slice] };
    grouping.set(slice, found);
  }
  return found;
}

/** A Service's slices, by Service key (`namespace/name`, from the slice's namespace and its
 * `kubernetes.io/service-name` label). Slices without the label belong to no Service. */
export function slicesByService(slices: readonly EndpointSlice[]): Map<string, readonly EndpointSlice[]> {
  const found = new Map<string, readonly EndpointSlice[]>();
  for (const slice of slices) {
    const { key, alone } = groupingOf(slice);
    if (key === undefined) continue;
    const list = found.get(key);
    found.set(key, list === undefined ? alone : [...list, slice]);
  }
  return found;
}

/** The serving endpoints of one Service, merged over all of its slices. */
export function servingEndpointsOf(slices: readonly EndpointSlice[]): ServingEndpoints {
  let any = false;
  const nodes = new Set<string>();
  for (const slice of slices) {
    const endpoints = Array.isArray(slice.endpoints) ? slice.endpoints : [];
    for (const endpoint of endpoints) {
      if (!endpointCanServe(endpoint?.conditions)) continue;
      any = true;
      if (typeof endpoint.nodeName === "string" && endpoint.nodeName !== "") nodes.add(endpoint.nodeName);
    }
  }
  return { any, nodes };
}

/**
 * Serving endpoints per Service key, merged over all of a Service's slices. Services without
 * slices are absent.
 */
export function servingEndpointsByService(
  slices: readonly EndpointSlice[],
): ReadonlyMap<string, ServingEndpoints> {
  const found = new Map<string, ServingEndpoints>();
  for (const [key, list] of slicesByService(slices)) found.set(key, servingEndpointsOf(list));
  return found;
}
