/**
 * What the speaker keeps of the objects it watches in bulk. Every field its decisions and Events
 * read, nothing else: with 10k Services a speaker holds 10k slices and 10k status objects. (Of a
 * Service it keeps only its announce request: pipeline/speaker.ts.)
 */

/**
 * What the speaker keeps of each EndpointSlice: only what the Layer 2 election reads (MetalLB
 * §4.2: is any endpoint serving, and on which node). Addresses, ports, hints and every other label
 * are dropped before the store: with 10k Services a speaker holds 10k slices, and each endpoint's
 * addresses, targetRef and zone are most of their size.
 */
import {
  type Endpoint,
  type EndpointConditions,
  type EndpointSlice,
  LABEL_ENDPOINT_SLICE_SERVICE_NAME,
} from "../domain/api/core.ts";
import { LABEL_NODE, LABEL_SERVICE_NAMESPACE } from "../domain/api/labels.ts";
import type { ServiceBGPStatus, ServiceBGPStatusStatus } from "../domain/api/service-bgp-status.ts";
import type { ServiceL2Status } from "../domain/api/service-l2-status.ts";
import { InternPool } from "../domain/intern-pool.ts";
import type { KubeObject } from "./types.ts";

/** Conditions, endpoints and endpoint lists the speaker's slices share (domain/intern-pool.ts). */
const conditionsPool = new InternPool<EndpointConditions>(64);
const endpointPool = new InternPool<Endpoint>();
const endpointListPool = new InternPool<readonly Endpoint[]>();

const plainCondition = (v: unknown) => v === undefined || typeof v === "boolean";

/** One shared object per combination of the three conditions (27); malformed ones stay as sent. */
function sharedConditions(conditions: EndpointConditions): EndpointConditions {
  const { ready, serving, terminating, ...rest } = conditions as EndpointConditions & Record<string, unknown>;
  if (!plainCondition(ready) || !plainCondition(serving) || !plainCondition(terminating)) return conditions;
  if (Object.keys(rest).length > 0) return conditions;
  return conditionsPool.get(`${ready}|${serving}|${terminating}`, () => ({
    ...(ready !== undefined && { ready }),
    ...(serving !== undefined && { serving }),
    ...(terminating !== undefined && { terminating }),
  }));
}

/** An endpoint as the election reads it (node, conditions); shared when both are plain. */
function electionEndpoint(endpoint: Endpoint | null | undefined): { endpoint: Endpoint; print?: string } {
  const nodeName = endpoint?.nodeName;
  const conditions = endpoint?.conditions === undefined ? undefined : sharedConditions(endpoint.conditions);
  const own: Endpoint = {
    ...(nodeName !== undefined && { nodeName }),
    ...(conditions !== undefined && { conditions }),
  };
  const plainNode = nodeName === undefined || typeof nodeName === "string";
  const plainConditions = conditions === undefined || Object.isFrozen(conditions);
  if (!plainNode || !plainConditions) return { endpoint: own };
  const print = `${nodeName ?? "\u0000"}|${conditions === undefined ? "-" : JSON.stringify(conditions)}`;
  return { endpoint: endpointPool.get(print, () => own), print };
}

function electionEndpoints(endpoints: readonly (Endpoint | null | undefined)[]): readonly Endpoint[] {
  const kept = endpoints.map(electionEndpoint);
  const list = kept.map((k) => k.endpoint);
  if (kept.some((k) => k.print === undefined)) return list;
  return endpointListPool.get(kept.map((k) => k.print).join("\n"), () => list);
}

export function sliceForElection<T extends EndpointSlice & KubeObject>(slice: T): T {
  const { metadata } = slice;
  const service = metadata.labels?.[LABEL_ENDPOINT_SLICE_SERVICE_NAME];
  // No apiVersion, kind nor addressType: nothing in the speaker reads them (fewer slots per slice).
  return {
    metadata: {
      name: metadata.name,
      namespace: metadata.namespace,
      // A literal key, not [LABEL_ENDPOINT_SLICE_SERVICE_NAME]: an object with a computed key is
      // allocated with room for six properties (measured: 64 against 32 bytes; 10k slices).
      // `satisfies` keeps the literal equal to the label's name.
      ...(service !== undefined && {
        labels: { "kubernetes.io/service-name": service } satisfies Record<
          typeof LABEL_ENDPOINT_SLICE_SERVICE_NAME,
          string
        >,
      }),
    },
    endpoints: Array.isArray(slice.endpoints) ? electionEndpoints(slice.endpoints) : slice.endpoints,
  } as T;
}

/**
 * What the speaker keeps of its per-Service status objects (ServiceL2Status, ServiceBGPStatus):
 * the name (to update or delete one), the labels (node, Service name and namespace: whose it is)
 * and the status. Owner references, uid, timestamps and generateName are read by nothing here;
 * non-revertive mode holds every node's ServiceL2Status, and a BGP node holds one ServiceBGPStatus
 * per Service it advertises. Not their namespace either: the speaker watches them in its own
 * namespace only, and without one an object's store key is its name itself (keys.ts), not a
 * `namespace/name` text made per object.
 */
export function statusObjectForSpeaker<T extends KubeObject & { readonly status?: unknown }>(object: T): T {
  const { metadata } = object;
  return {
    metadata: {
      name: metadata.name,
      ...(metadata.labels !== undefined && { labels: metadata.labels }),
    },
    ...(object.status !== undefined && { status: object.status }),
  } as T;
}

/**
 * Whether two projections hold the same values. They carry no resourceVersion (nothing the
 * speaker reads), so an update that only touched dropped fields compares equal and the store keeps
 * the object it holds (ReflectOptions.unchanged).
 */
export function sameProjection<T>(a: T, b: T): boolean {
  return Bun.deepEquals(a, b, true);
}

/** ServiceL2Status objects as the speaker keeps them (statusObjectForSpeaker). */
export const l2StatusForSpeaker = <T extends ServiceL2Status & KubeObject>(object: T): T =>
  statusObjectForSpeaker(object);

/** A node's ServiceBGPStatus objects mostly say the same: one shared status per node and peer list. */
const bgpStatusPool = new InternPool<ServiceBGPStatusStatus>(256);
/** Namespaces and node names, the same few strings in every object (the service names differ). */
const names = new Map<string, string>();

function sharedName(value: string): string {
  const found = names.get(value);
  if (found !== undefined) return found;
  if (names.size < 1024) names.set(value, value);
  return value;
}

function sharedLabels(labels: Readonly<Record<string, string>>): Readonly<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(labels)) {
    out[key] =
      (key === LABEL_NODE || key === LABEL_SERVICE_NAMESPACE) && typeof value === "string"
        ? sharedName(value)
        : value;
  }
  return out;
}

/**
 * ServiceBGPStatus objects as the speaker keeps them: the name (and no namespace, as
 * statusObjectForSpeaker), the labels (whose it is) and of the status only what its writes compare, the node and the peers (speaker-writes.ts).
 * A node advertising 10k Services holds 10k of them, almost all with the same node and peers.
 */
export function bgpStatusForSpeaker<T extends ServiceBGPStatus & KubeObject>(object: T): T {
  const { metadata, status } = object;
  const node = status?.node;
  const peers = status?.peers;
  const plain =
    (node === undefined || typeof node === "string") &&
    (peers === undefined || (Array.isArray(peers) && peers.every((p) => typeof p === "string")));
  const kept: ServiceBGPStatusStatus | undefined =
    status === undefined
      ? undefined
      : plain
        ? bgpStatusPool.get(
            `${node ?? "\u0000"}|${peers === undefined ? "\u0000" : peers.join("\n")}`,
            () => ({
              ...(node !== undefined && { node }),
              ...(peers !== undefined && { peers: Object.freeze([...peers]) }),
            }),
          )
        : { node, peers };
  return {
    metadata: {
      name: metadata.name,
      ...(metadata.labels !== undefined && { labels: sharedLabels(metadata.labels) }),
    },
    ...(kept !== undefined && { status: kept }),
  } as T;
}
