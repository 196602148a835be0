import { describe, expect, test } from "bun:test";
import { eventFor } from "./events.ts";

describe("eventFor", () => {
  const service = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "web", namespace: "default", uid: "u-1", resourceVersion: "7" },
  };

  test("a core/v1 Event in the object's namespace, referring to it by uid", () => {
    const event = eventFor(
      {
        about: service,
        type: "Normal",
        reason: "IPAllocated",
        message: 'Assigned IP ["172.18.0.200"]',
        component: "metallb-controller",
      },
      new Date("2026-11-25T10:00:00.123Z"),
      "abc",
    );
    expect(event).toEqual({
      apiVersion: "v1",
      kind: "Event",
      metadata: { name: "web.abc", namespace: "default" },
      involvedObject: {
        apiVersion: "v1",
        kind: "Service",
        namespace: "default",
        name: "web",
        uid: "u-1",
        resourceVersion: "7",
      },
      reason: "IPAllocated",
      message: 'Assigned IP ["172.18.0.200"]',
      type: "Normal",
      source: { component: "metallb-controller" },
      firstTimestamp: "2026-11-25T10:00:00Z",
      lastTimestamp: "2026-11-25T10:00:00Z",
      count: 1,
      reportingComponent: "metallb-controller",
      reportingInstance: "metallb-controller",
    });
  });

  test("cluster-scoped objects get their Events in 'default'; the speaker's node is the host", () => {
    const event = eventFor(
      {
        about: { apiVersion: "v1", kind: "Node", metadata: { name: "n1", uid: "u" } },
        type: "Warning",
        reason: "x",
        message: "y",
        component: "metallb-speaker",
        host: "n1",
      },
      new Date(0),
      "1",
    );
    expect(event.metadata.namespace).toBe("default");
    expect(event.source).toEqual({ component: "metallb-speaker", host: "n1" });
    expect(event.reportingInstance).toBe("n1");
  });
});
