import { describe, expect, test } from "bun:test";
import { from, lastValueFrom, toArray } from "rxjs";
import { aService } from "../domain/allocator/testing.ts";
import { type AnnounceRequest, announceRequestOf } from "../domain/announce/request.ts";
import type { EndpointSlice, Service } from "../domain/api/core.ts";
import { servingEndpointsOf } from "../domain/election/serving-endpoints.ts";
import { keyOf } from "./keys.ts";
import { bgpStatusForSpeaker, l2StatusForSpeaker, sameProjection, sliceForElection } from "./projections.ts";
import { reflectKeyed } from "./store.ts";
import { mapEventObjects } from "./trim.ts";
import type { KubeObject } from "./types.ts";
import type { WatchEvent } from "./watch.ts";

const slice: EndpointSlice & KubeObject = {
  apiVersion: "discovery.k8s.io/v1",
  kind: "EndpointSlice",
  metadata: {
    name: "web-abcde",
    namespace: "default",
    uid: "u1",
    resourceVersion: "9",
    labels: { "kubernetes.io/service-name": "web", "endpointslice.kubernetes.io/managed-by": "x" },
    ownerReferences: [{ apiVersion: "v1", kind: "Service", name: "web", uid: "s1" }],
  },
  addressType: "IPv4",
  endpoints: [
    { addresses: ["10.244.1.5"], nodeName: "n1", conditions: { ready: true, serving: true } },
    { addresses: ["10.244.2.5"], nodeName: "n2", conditions: { ready: false, serving: false } },
    { addresses: ["10.244.3.5"], conditions: { ready: true } },
  ],
};

describe("sliceForElection", () => {
  test("keeps what the election reads, drops addresses and the rest", () => {
    const kept = sliceForElection(slice);
    expect(kept).toEqual({
      metadata: {
        name: "web-abcde",
        namespace: "default",
        labels: { "kubernetes.io/service-name": "web" },
      },
      endpoints: [
        { nodeName: "n1", conditions: { ready: true, serving: true } },
        { nodeName: "n2", conditions: { ready: false, serving: false } },
        { conditions: { ready: true } },
      ],
    } as EndpointSlice & KubeObject);
  });

  test("the election sees the same serving endpoints before and after", () => {
    expect(servingEndpointsOf([sliceForElection(slice)])).toEqual(servingEndpointsOf([slice]));
  });

  test("equal conditions share one object; malformed ones are kept as sent", () => {
    const a = sliceForElection(slice);
    const b = sliceForElection({ ...slice, metadata: { ...slice.metadata, name: "web-fghij" } });
    expect(b.endpoints![0]!.conditions).toBe(a.endpoints![0]!.conditions!);
    expect(a.endpoints![0]!.conditions).toEqual({ ready: true, serving: true });
    expect(a.endpoints![0]!.conditions).not.toBe(a.endpoints![1]!.conditions!);
    const odd = { ready: "yes", serving: true } as unknown as { ready: boolean };
    const c = sliceForElection({ ...slice, endpoints: [{ addresses: ["10.0.0.1"], conditions: odd }] });
    expect(c.endpoints![0]!.conditions).toBe(odd);
  });

  test("slices served on the same nodes share one endpoint list; the election reads it alike", () => {
    const a = sliceForElection(slice);
    const b = sliceForElection({ ...slice, metadata: { ...slice.metadata, name: "web-klmno" } });
    expect(b.endpoints).toBe(a.endpoints!);
    expect(Object.isFrozen(a.endpoints)).toBe(true);
    const other = sliceForElection({ ...slice, endpoints: slice.endpoints!.slice(1) });
    expect(other.endpoints).not.toBe(a.endpoints!);
    expect(other.endpoints![0]).toBe(a.endpoints![1]!);
    expect(servingEndpointsOf([b])).toEqual(servingEndpointsOf([slice]));
  });

  test("a slice without endpoints or labels stays valid", () => {
    const bare = { metadata: { name: "x", namespace: "d" }, endpoints: null } as EndpointSlice & KubeObject;
    expect(sliceForElection(bare).endpoints).toBeNull();
    expect(sliceForElection(bare).metadata.labels).toBeUndefined();
  });
});

describe("l2StatusForSpeaker", () => {
  test("keeps name, labels and status; drops namespace, owner references, uid and timestamps", () => {
    const status = {
      apiVersion: "metallb.io/v1beta1" as const,
      kind: "ServiceL2Status" as const,
      metadata: {
        name: "l2-abcde",
        generateName: "l2-",
        namespace: "metallb-system",
        uid: "u9",
        resourceVersion: "77",
        creationTimestamp: "2026-11-26T00:00:00Z",
        labels: { "metallb.io/node": "n1", "metallb.io/service-name": "web" },
        ownerReferences: [{ apiVersion: "v1", kind: "Pod", name: "speaker-x", uid: "p1" }],
      },
      status: { node: "n1", serviceName: "web", serviceNamespace: "default", interfaces: [] },
    };
    const kept = l2StatusForSpeaker(status);
    expect(kept).toEqual({
      metadata: {
        name: "l2-abcde",
        labels: { "metallb.io/node": "n1", "metallb.io/service-name": "web" },
      },
      status: { node: "n1", serviceName: "web", serviceNamespace: "default", interfaces: [] },
    } as unknown as typeof status);
    // Its store key is its name itself, no text made for it.
    expect(keyOf(kept)).toBe(kept.metadata.name!);
  });
});

describe("bgpStatusForSpeaker", () => {
  const aBgpStatus = (name: string, service: string, peers: string[]) => ({
    apiVersion: "metallb.io/v1beta1" as const,
    kind: "ServiceBGPStatus" as const,
    metadata: {
      name,
      namespace: "metallb-system",
      uid: `u-${name}`,
      resourceVersion: "7",
      labels: {
        "metallb.io/node": "n1",
        "metallb.io/service-name": service,
        "metallb.io/service-namespace": "default",
      },
    },
    status: { node: "n1", serviceName: service, serviceNamespace: "default", peers },
  });

  test("keeps name, labels, the status's node and peers; drops the rest", () => {
    const kept = bgpStatusForSpeaker(aBgpStatus("bgp-a", "web", ["r1", "r2"]));
    expect(keyOf(kept)).toBe(kept.metadata.name!);
    expect(kept).toEqual({
      metadata: {
        name: "bgp-a",
        labels: {
          "metallb.io/node": "n1",
          "metallb.io/service-name": "web",
          "metallb.io/service-namespace": "default",
        },
      },
      status: { node: "n1", peers: ["r1", "r2"] },
    } as unknown as ReturnType<typeof aBgpStatus>);
  });

  test("objects with the same node and peers share one status; other peers, another", () => {
    const a = bgpStatusForSpeaker(aBgpStatus("bgp-a", "web", ["r1", "r2"]));
    const b = bgpStatusForSpeaker(aBgpStatus("bgp-b", "db", ["r1", "r2"]));
    const c = bgpStatusForSpeaker(aBgpStatus("bgp-c", "db", ["r1"]));
    expect(b.status).toBe(a.status as NonNullable<typeof a.status>);
    expect(c.status).not.toBe(a.status as NonNullable<typeof a.status>);
    expect(c.status?.peers).toEqual(["r1"]);
  });

  test("a malformed status is kept as sent, not shared", () => {
    const odd = { ...aBgpStatus("bgp-x", "web", []), status: { node: "n1", peers: "r1" } };
    expect(bgpStatusForSpeaker(odd as never)).toMatchObject({ status: { node: "n1", peers: "r1" } });
  });
});

describe("sameProjection", () => {
  test("an update of dropped fields only (resourceVersion, addresses) is the same projection", () => {
    const later = {
      ...slice,
      metadata: { ...slice.metadata, resourceVersion: "10" },
      endpoints: slice.endpoints!.map((e) => ({ ...e, addresses: ["10.9.9.9"] })),
    };
    expect(sameProjection(sliceForElection(slice), sliceForElection(later))).toBe(true);
    const unready = {
      ...slice,
      endpoints: slice.endpoints!.map((e) => ({ ...e, conditions: { ready: false, serving: false } })),
    };
    expect(sameProjection(sliceForElection(slice), sliceForElection(unready))).toBe(false);
  });
});

describe("the speaker's Services: their announce requests, keyed by the request's own key", () => {
  const service = (name: string, o: Parameters<typeof aService>[1] = {}) =>
    ({ ...aService(name, o), metadata: { ...aService(name, o).metadata, uid: `u-${name}` } }) as Service &
      KubeObject;

  test("one key text per Service; an update the request does not read keeps the held request", async () => {
    const events: WatchEvent<Service & KubeObject>[] = [
      { type: "init" },
      { type: "initApply", object: service("web", { ingress: ["10.0.0.1"] }) },
      { type: "initDone", resourceVersion: "1" },
      // Another port, another annotation: nothing the speaker reads.
      { type: "apply", object: service("web", { ingress: ["10.0.0.1"], ports: ["TCP/8080"] }) },
      { type: "apply", object: service("web", { ingress: ["10.0.0.2"] }) },
    ];
    const snapshots = await lastValueFrom(
      from(events).pipe(
        mapEventObjects(announceRequestOf),
        reflectKeyed<AnnounceRequest>({ key: (r) => r.key, unchanged: sameProjection, scheduler: null }),
        toArray(),
      ),
    );
    // Published after the list and after the IP moved; the port change published nothing.
    expect(snapshots).toHaveLength(2);
    const [listed, moved] = snapshots.map((s) => s.objects);
    const held = listed!.get("default/web")!;
    expect(held.ips).toEqual(["10.0.0.1"]);
    // The store's key is the request's own text, not a copy.
    expect([...listed!.keys()][0]).toBe(held.key);
    expect(moved?.get("default/web")?.ips).toEqual(["10.0.0.2"]);
  });
});
