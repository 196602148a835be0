import { afterEach, describe, expect, test } from "bun:test";
import { DecodeHost } from "./decode-host.ts";
import { DecodeError } from "./decoder.ts";
import { decodeProjectedEvents, decodeProjectedList } from "./projecting.ts";

const services = Array.from({ length: 50 }, (_, i) => ({
  apiVersion: "v1",
  kind: "Service",
  metadata: { name: `svc${i}`, namespace: "default", uid: `u${i}`, resourceVersion: String(100 + i) },
  spec: { type: "LoadBalancer", ports: [{ port: 80 }] },
  status: { loadBalancer: { ingress: [{ ip: `10.0.0.${i}` }] } },
}));
const lines = services.map((object) => JSON.stringify({ type: "ADDED", object }));
const listText = JSON.stringify({ metadata: { resourceVersion: "7" }, items: services });

let hosts: DecodeHost[] = [];
afterEach(() => {
  for (const host of hosts) host.stop();
  hosts = [];
});
function host(...args: ConstructorParameters<typeof DecodeHost>): DecodeHost {
  const made = new DecodeHost(...args);
  hosts.push(made);
  return made;
}

describe("DecodeHost (a real Worker)", () => {
  test("decodes lists and events as the same projection on this thread would, in order", async () => {
    const made = host();
    const decoder = made.projecting("serviceForSpeaker");
    const [events, list, again] = await Promise.all([
      decoder.events(lines),
      decoder.list(listText),
      decoder.events(lines.slice(0, 3)),
    ]);
    expect(events).toEqual(decodeProjectedEvents(lines, "serviceForSpeaker"));
    expect(list).toEqual(decodeProjectedList(listText, "serviceForSpeaker"));
    expect(again).toEqual(decodeProjectedEvents(lines.slice(0, 3), "serviceForSpeaker"));
    expect(made.inWorker).toBe(true);
  });

  test("text that is not JSON rejects with a DecodeError naming it; the Worker goes on", async () => {
    const decoder = host().projecting("serviceForSpeaker");
    const failed = await decoder.events(['{"type":']).catch((error: unknown) => error);
    expect(failed).toBeInstanceOf(DecodeError);
    expect((failed as DecodeError).excerpt).toBe('{"type":');
    expect(await decoder.events(lines.slice(0, 1))).toHaveLength(1);
  });

  test("trim collects the Worker's heap and resolves", async () => {
    const made = host();
    await made.projecting("serviceForSpeaker").events(lines);
    await made.trim();
  });

  test("a Worker that cannot start is reported once and everything is decoded here", async () => {
    const failures: string[] = [];
    const made = host(
      (message) => failures.push(message),
      new URL("./no-such-worker.ts", import.meta.url).href,
    );
    const decoder = made.projecting("serviceForSpeaker");
    const events = await decoder.events(lines);
    const more = await decoder.list(listText);
    expect(events).toEqual(decodeProjectedEvents(lines, "serviceForSpeaker"));
    expect(more).toEqual(decodeProjectedList(listText, "serviceForSpeaker"));
    // Either the failure came first (decoded here at once) or it finished what was pending here.
    await Bun.sleep(50);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toContain("decode worker failed");
    expect(made.inWorker).toBe(false);
  });

  test("after stop, requests are decoded here", async () => {
    const made = host();
    made.stop();
    expect(
      await made.projecting("sliceForElection").list(JSON.stringify({ metadata: {}, items: [] })),
    ).toEqual({
      metadata: {},
      items: [],
    });
  });
});
