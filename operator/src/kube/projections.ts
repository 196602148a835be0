/**
 * What the speaker keeps of each EndpointSlice: only what the Layer 2 election reads (MetalLB
 * §4.2: is any endpoint serving, and on which node). Addresses, ports, hints and every other label
 * are dropped before the store: with 10k Services a speaker holds 10k slices, and each endpoint's
 * addresses, targetRef and zone are most of their size.
 */
import { type EndpointSlice, LABEL_ENDPOINT_SLICE_SERVICE_NAME } from "../domain/api/core.ts";
import type { KubeObject } from "./types.ts";

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
          ...(e?.conditions !== undefined && { conditions: e.conditions }),
        }))
      : slice.endpoints,
  } as T;
}
