import { describe, expect, test } from "bun:test";
import type { KubeClient } from "./client.ts";
import { EventSink } from "./event-sink.ts";
import type { EventInput } from "./events.ts";

/** A client that records the Events created (the sink's ordering and pacing are pure logic). */
function recordingClient() {
  const created: string[] = [];
  const client = {
    create: async (_resource: unknown, body: { message: string }) => {
      await null;
      created.push(body.message);
      return body;
    },
  } as unknown as KubeClient;
  return { client, created };
}

const input = (message: string): EventInput => ({
  about: { apiVersion: "v1", kind: "Service", metadata: { name: "s", namespace: "default", uid: "u" } },
  type: "Normal",
  reason: "IPAllocated",
  message,
  component: "metallb-controller",
});

describe("EventSink", () => {
  test("posts every Event, in order when one at a time", async () => {
    const { client, created } = recordingClient();
    const sink = new EventSink(client, { concurrency: 1 });
    sink.post(Array.from({ length: 2000 }, (_, i) => input(`e${i}`)));
    await sink.idle();
    expect(created).toEqual(Array.from({ length: 2000 }, (_, i) => `e${i}`));
    expect(sink.queued).toBe(0);
  });

  test("deferred Events wait, none is lost, and they go out once the backlog clears", async () => {
    const { client, created } = recordingClient();
    const sink = new EventSink(client, { concurrency: 2 });
    sink.defer(true);
    sink.post([input("a"), input("b"), input("c")]);
    await Bun.sleep(20);
    expect(created).toEqual([]);
    expect(sink.queued).toBe(3);
    sink.defer(false);
    await sink.idle();
    expect(created.sort()).toEqual(["a", "b", "c"]);
  });

  test("idle(timeout) gives up waiting on a deferred backlog", async () => {
    const { client } = recordingClient();
    const sink = new EventSink(client);
    sink.defer(true);
    sink.post([input("late")]);
    const started = performance.now();
    await sink.idle(30);
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
    expect(sink.queued).toBe(1);
  });
});
