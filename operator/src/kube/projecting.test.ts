import { describe, expect, test } from "bun:test";
import { DecodeError } from "./decoder.ts";
import { decodeProjectedEvents, decodeProjectedList } from "./projecting.ts";
import { serviceForSpeaker, sliceForElection } from "./projections.ts";

const service = {
  apiVersion: "v1",
  kind: "Service",
  metadata: {
    name: "svc1",
    namespace: "default",
    uid: "u1",
    resourceVersion: "41",
    managedFields: [{ manager: "kubectl", fieldsV1: { "f:spec": {} } }],
    annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{...}" },
  },
  spec: { type: "LoadBalancer", ports: [{ port: 80 }], externalTrafficPolicy: "Cluster" },
  status: { loadBalancer: { ingress: [{ ip: "192.168.10.200", ipMode: "VIP" }] } },
};

describe("decodeProjectedEvents", () => {
  test("projects ADDED, MODIFIED and DELETED objects and keeps their resourceVersion", () => {
    const lines = ["ADDED", "MODIFIED", "DELETED"].map((type) => JSON.stringify({ type, object: service }));
    const events = decodeProjectedEvents(lines, "serviceForSpeaker");
    const { resourceVersion: _rv, ...projectedMetadata } = serviceForSpeaker(
      structuredClone(service),
    ).metadata;
    for (const [i, type] of ["ADDED", "MODIFIED", "DELETED"].entries()) {
      const event = events[i] as { type: string; object: Record<string, unknown> & { metadata: unknown } };
      expect(event.type).toBe(type);
      expect(event.object.metadata).toEqual({ ...projectedMetadata, resourceVersion: "41" });
      expect(event.object.spec).toEqual({ type: "LoadBalancer", externalTrafficPolicy: "Cluster" });
      expect(event.object.status).toEqual(service.status);
    }
  });

  test("passes BOOKMARK and ERROR events, and objects without metadata, as they came", () => {
    const bookmark = { type: "BOOKMARK", object: { kind: "Service", metadata: { resourceVersion: "50" } } };
    const error = { type: "ERROR", object: { kind: "Status", code: 410, reason: "Expired" } };
    const bare = { type: "ADDED", object: "not an object" };
    expect(
      decodeProjectedEvents(
        [bookmark, error, bare].map((e) => JSON.stringify(e)),
        "serviceForSpeaker",
      ),
    ).toEqual([
      // A bookmark carries only its resourceVersion: nothing to project.
      bookmark,
      error,
      bare,
    ] as never);
  });

  test("a line that is not JSON is a DecodeError with its start", () => {
    let thrown: unknown;
    try {
      decodeProjectedEvents(
        [JSON.stringify({ type: "ADDED", object: service }), "<html>proxy"],
        "serviceForSpeaker",
      );
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(DecodeError);
    expect((thrown as DecodeError).excerpt).toBe("<html>proxy");
  });
});

describe("decodeProjectedList", () => {
  test("projects the items and keeps the list's metadata (resourceVersion, continue)", () => {
    const slice = {
      metadata: { name: "svc1-abc", namespace: "default", labels: { "kubernetes.io/service-name": "svc1" } },
      addressType: "IPv4",
      endpoints: [{ addresses: ["10.0.0.1"], nodeName: "n1", conditions: { ready: true } }],
    };
    const list = decodeProjectedList(
      JSON.stringify({
        kind: "EndpointSliceList",
        metadata: { resourceVersion: "9", continue: "c" },
        items: [slice],
      }),
      "sliceForElection",
    );
    expect(list.metadata).toEqual({ resourceVersion: "9", continue: "c" });
    expect(list.items).toEqual([sliceForElection(structuredClone(slice) as never)]);
    expect((list.items[0] as { endpoints: unknown[] }).endpoints[0]).toEqual({
      nodeName: "n1",
      conditions: { ready: true },
    });
  });
});
