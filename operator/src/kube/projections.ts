/**
 * What the speaker keeps of the objects it watches in bulk. Every field the Layer 2 election and
 * its Events read, nothing else: with 10k Services a speaker holds 10k Services and 10k slices.
 */

/**
 * What the speaker keeps of each EndpointSlice: only what the Layer 2 election reads (MetalLB
 * §4.2: is any endpoint serving, and on which node). Addresses, ports, hints and every other label
 * are dropped before the store: with 10k Services a speaker holds 10k slices, and each endpoint's
 * addresses, targetRef and zone are most of their size.
 */
import { ALLOW_SHARED_IP } from "../domain/api/annotations.ts";
import {
  type EndpointConditions,
  type EndpointSlice,
  LABEL_ENDPOINT_SLICE_SERVICE_NAME,
  type Service,
} from "../domain/api/core.ts";
import type { KubeObject } from "./types.ts";

/**
 * One shared object per combination of an endpoint's three conditions (there are 27), instead of
 * one per endpoint: 10k slices of 3 endpoints are 30k objects (about 2 MB) otherwise. Conditions
 * that are not booleans (malformed) keep their own object, so the election still sees them as sent.
 */
const conditionsByPrint = new Map<string, EndpointConditions>();

function sharedConditions(conditions: EndpointConditions): EndpointConditions {
  const { ready, serving, terminating, ...rest } = conditions as EndpointConditions & Record<string, unknown>;
  const plain = (v: unknown) => v === undefined || typeof v === "boolean";
  if (!plain(ready) || !plain(serving) || !plain(terminating) || Object.keys(rest).length > 0)
    return conditions;
  const print = `${ready}|${serving}|${terminating}`;
  let shared = conditionsByPrint.get(print);
  if (shared === undefined) {
    shared = Object.freeze({
      ...(ready !== undefined && { ready }),
      ...(serving !== undefined && { serving }),
      ...(terminating !== undefined && { terminating }),
    });
    conditionsByPrint.set(print, shared);
  }
  return shared;
}

export function sliceForElection<T extends EndpointSlice & KubeObject>(slice: T): T {
  const { metadata } = slice;
  const service = metadata.labels?.[LABEL_ENDPOINT_SLICE_SERVICE_NAME];
  return {
    apiVersion: slice.apiVersion,
    kind: slice.kind,
    metadata: {
      name: metadata.name,
      namespace: metadata.namespace,
      uid: metadata.uid,
      resourceVersion: metadata.resourceVersion,
      ...(service !== undefined && { labels: { [LABEL_ENDPOINT_SLICE_SERVICE_NAME]: service } }),
    },
    addressType: slice.addressType,
    endpoints: Array.isArray(slice.endpoints)
      ? slice.endpoints.map((e) => ({
          ...(e?.nodeName !== undefined && { nodeName: e.nodeName }),
          ...(e?.conditions !== undefined && { conditions: sharedConditions(e.conditions) }),
        }))
      : slice.endpoints,
  } as T;
}

/**
 * What the speaker keeps of each Service: what its Layer 2 decision and Events read (name,
 * namespace, uid, labels for serviceSelectors, the allow-shared-ip annotation, type, class,
 * externalTrafficPolicy, and the ingress IPs). Ports, selectors, cluster IPs and other
 * annotations are the controller's business; a speaker with 10k Services need not hold them.
 */
export function serviceForSpeaker<T extends Service & KubeObject>(service: T): T {
  const { metadata } = service;
  const annotations = metadata.annotations;
  const shared =
    annotations === undefined
      ? undefined
      : Object.fromEntries(
          [ALLOW_SHARED_IP.current, ALLOW_SHARED_IP.legacy]
            .filter((name) => annotations[name] !== undefined)
            .map((name) => [name, annotations[name]!]),
        );
  const spec = service.spec ?? {};
  return {
    apiVersion: service.apiVersion,
    kind: service.kind,
    metadata: {
      name: metadata.name,
      namespace: metadata.namespace,
      uid: metadata.uid,
      resourceVersion: metadata.resourceVersion,
      ...(metadata.labels !== undefined && { labels: metadata.labels }),
      ...(shared !== undefined && Object.keys(shared).length > 0 && { annotations: shared }),
    },
    spec: {
      type: spec.type,
      ...(spec.loadBalancerClass !== undefined && { loadBalancerClass: spec.loadBalancerClass }),
      ...(spec.externalTrafficPolicy !== undefined && { externalTrafficPolicy: spec.externalTrafficPolicy }),
    },
    ...(service.status?.loadBalancer !== undefined && {
      status: { loadBalancer: service.status.loadBalancer },
    }),
  } as T;
}
