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
 * A Service's slices: the slice itself when it has one (most Services), a list when more. Kept
 * this way so that grouping 10k slices on every run makes no list and no key text per slice.
 */
export type ServiceSlices = EndpointSlice | readonly EndpointSlice[];

export const NO_SLICES: readonly EndpointSlice[] = [];

/** The same slices, in the same order (the objects, not their content: the stores keep identity). */
export function sameSlices(a: ServiceSlices, b: ServiceSlices): boolean {
  if (a === b) return true;
  if (!Array.isArray(a) || !Array.isArray(b)) return false;
  const x = a as readonly EndpointSlice[];
  const y = b as readonly EndpointSlice[];
  return x.length === y.length && x.every((slice, i) => slice === y[i]);
}

/**
 * Slices by Service: namespace, then the `kubernetes.io/service-name` label (slices without it
 * belong to no Service). Keyed by the strings the slices already hold, not by a `namespace/name`
 * text made per slice.
 */
export class SlicesByService {
  private readonly byNamespace = new Map<string, Map<string, ServiceSlices>>();

  constructor(slices: readonly EndpointSlice[]) {
    for (const slice of slices) {
      const service = slice.metadata?.labels?.[LABEL_ENDPOINT_SLICE_SERVICE_NAME];
      if (typeof service !== "string" || service === "") continue;
      const namespace = slice.metadata.namespace ?? "";
      let names = this.byNamespace.get(namespace);
      if (names === undefined) {
        names = new Map();
        this.byNamespace.set(namespace, names);
      }
      const found = names.get(service);
      names.set(
        service,
        found === undefined
          ? slice
          : Array.isArray(found)
            ? [...found, slice]
            : [found as EndpointSlice, slice],
      );
    }
  }

  /** The Service's slices; none: an empty list. */
  of(namespace: string, name: string): ServiceSlices {
    return this.byNamespace.get(namespace)?.get(name) ?? NO_SLICES;
  }

  /** Every Service with slices: its namespace, name and slices. */
  *entries(): IterableIterator<[namespace: string, name: string, slices: ServiceSlices]> {
    for (const [namespace, names] of this.byNamespace)
      for (const [name, slices] of names) yield [namespace, name, slices];
  }
}

/** The serving endpoints of one Service, merged over all of its slices. */
export function servingEndpointsOf(slices: ServiceSlices): ServingEndpoints {
  let any = false;
  const nodes = new Set<string>();
  for (const slice of Array.isArray(slices)
    ? (slices as readonly EndpointSlice[])
    : [slices as EndpointSlice]) {
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
 * Serving endpoints per Service (namespace and name), merged over all of a Service's slices.
 * Services without slices are absent.
 */
export function servingEndpointsByService(slices: readonly EndpointSlice[]): EndpointsLookup {
  const found = new Map<string, ServingEndpoints>();
  for (const [namespace, name, list] of new SlicesByService(slices).entries())
    found.set(serviceKey(namespace, name), servingEndpointsOf(list));
  return { get: (namespace, name) => found.get(serviceKey(namespace, name)) };
}

/** A Service's serving endpoints by its namespace and name; undefined: it has no slices. */
export interface EndpointsLookup {
  get(namespace: string, name: string): ServingEndpoints | undefined;
}
