import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import type { Subscription } from "rxjs";
import { KubeClient } from "./client.ts";
import { type ApiError, TransportError } from "./errors.ts";
import { resources } from "./resource.ts";
import { Reflector } from "./store.ts";
import {
  configMap,
  FakeApiserver,
  json,
  listPage,
  ScriptedWatch,
  statusBody,
} from "./testing/fake-apiserver.ts";
import { VirtualScheduler } from "./testing/virtual-scheduler.ts";
import type { KubeObject } from "./types.ts";
import { type ListWatchOptions, listWatch$, type RetryInfo, type WatchEvent } from "./watch.ts";

type ConfigMap = KubeObject & { data?: Record<string, string> };

/** Backoff delays are all below this; watch deadlines (timeout + grace) are far above it. */
const BACKOFF_ONLY = 60_000;

let api: FakeApiserver;
let scheduler: VirtualScheduler;
let subscription: Subscription | undefined;

beforeEach(() => {
  api = new FakeApiserver();
  scheduler = new VirtualScheduler();
});

afterEach(() => {
  subscription?.unsubscribe();
  subscription = undefined;
  api.stop();
});

function start(options: ListWatchOptions = {}) {
  const client = new KubeClient(api.connection());
  const events: WatchEvent<ConfigMap>[] = [];
  const retries: RetryInfo[] = [];
  const reflector = new Reflector<ConfigMap>();
  subscription = listWatch$<ConfigMap>(client, resources.configMaps, {
    scheduler,
    watchTimeoutSeconds: 300,
    backoff: { random: () => 0.5 }, // jitter centred: delays are exactly 200, 400, 800, ...
    onRetry: (info) => retries.push(info),
    ...options,
  }).subscribe((event) => {
    events.push(event);
    reflector.apply(event);
  });
  return { events, retries, reflector };
}

/** A compact, readable trace of watcher events. */
function trace(events: readonly WatchEvent<ConfigMap>[]): string[] {
  return events.map((e) => {
    switch (e.type) {
      case "init":
        return "init";
      case "initDone":
        return `initDone ${e.resourceVersion}`;
      default:
        return `${e.type} ${e.object.metadata.name}@${e.object.metadata.resourceVersion}`;
    }
  });
}

async function until(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(2);
  }
}

function requestsOf(kind: "list" | "watch") {
  return api.requests.filter((r) => (r.query.get("watch") === "true") === (kind === "watch"));
}

const added = (object: unknown) => ({ type: "ADDED", object });
const modified = (object: unknown) => ({ type: "MODIFIED", object });
const deleted = (object: unknown) => ({ type: "DELETED", object });
const bookmark = (resourceVersion: string) => ({
  type: "BOOKMARK",
  object: { kind: "ConfigMap", apiVersion: "v1", metadata: { resourceVersion } },
});
const expired = { type: "ERROR", object: statusBody(410, "Expired", "too old resource version: 1 (42)") };

describe("listWatch$", () => {
  test("lists page by page, marks initDone, then watches from the list's resourceVersion", async () => {
    const watch = new ScriptedWatch();
    api
      .on("list", () => listPage([configMap("a", "0007"), configMap("b", "0008")], "rv-10", "page-2"))
      .on("list", () => listPage([configMap("c", "0009")], "rv-10"))
      .on("watch", () => watch.response);
    const { events } = start({ pageSize: 2 });
    await until(() => requestsOf("watch").length === 1, "the watch request");

    const [page1, page2] = requestsOf("list");
    expect(page1?.path).toBe("/api/v1/configmaps");
    expect(page1?.query.get("limit")).toBe("2");
    expect(page1?.query.has("continue")).toBe(false);
    expect(page2?.query.get("continue")).toBe("page-2");
    const watchRequest = requestsOf("watch")[0]!;
    expect(watchRequest.query.get("resourceVersion")).toBe("rv-10");
    expect(watchRequest.query.get("allowWatchBookmarks")).toBe("true");
    expect(watchRequest.query.get("timeoutSeconds")).toBe("300");

    watch.send(
      added(configMap("d", "rv-11")),
      modified(configMap("a", "rv-12")),
      deleted(configMap("b", "rv-13")),
    );
    await until(() => events.length === 8, "8 events");
    expect(trace(events)).toEqual([
      "init",
      "initApply a@0007",
      "initApply b@0008",
      "initApply c@0009",
      "initDone rv-10",
      "apply d@rv-11",
      "apply a@rv-12",
      "delete b@rv-13",
    ]);
    // List items come without apiVersion/kind; the watcher fills them in.
    const first = events[1] as { object: ConfigMap };
    expect([first.object.apiVersion, first.object.kind]).toEqual(["v1", "ConfigMap"]);
  });

  test("a bookmark moves the resourceVersion silently; a clean stream end resumes from it after backoff", async () => {
    const first = new ScriptedWatch();
    const second = new ScriptedWatch();
    api
      .on("list", () => listPage([], "rv-1"))
      .on("watch", () => first.response)
      .on("watch", () => second.response);
    const { events, retries } = start();
    await until(() => requestsOf("watch").length === 1, "first watch");
    first.send(bookmark("rv-bookmark"));
    first.end();

    expect(await scheduler.fireNext(BACKOFF_ONLY)).toBe(200);
    await until(() => requestsOf("watch").length === 2, "second watch");
    expect(requestsOf("watch")[1]?.query.get("resourceVersion")).toBe("rv-bookmark");
    expect(requestsOf("list")).toHaveLength(1);
    expect(trace(events)).toEqual(["init", "initDone rv-1"]);
    expect(retries).toEqual([{ error: undefined, delayMs: 200, relist: false }]);
  });

  test("an in-stream 410 Expired relists at once, and the store swaps to the new list", async () => {
    const first = new ScriptedWatch();
    const second = new ScriptedWatch();
    api
      .on("list", () => listPage([configMap("a", "rv-1"), configMap("b", "rv-1")], "rv-1"))
      .on("watch", () => first.response)
      .on("list", () => listPage([configMap("a", "rv-5"), configMap("c", "rv-4")], "rv-5"))
      .on("watch", () => second.response);
    const { events, retries, reflector } = start();
    await until(() => requestsOf("watch").length === 1, "first watch");
    first.send(modified(configMap("a", "rv-2")), expired);

    await until(() => requestsOf("watch").length === 2, "watch after the relist");
    expect(trace(events)).toEqual([
      "init",
      "initApply a@rv-1",
      "initApply b@rv-1",
      "initDone rv-1",
      "apply a@rv-2",
      "init",
      "initApply a@rv-5",
      "initApply c@rv-4",
      "initDone rv-5",
    ]);
    expect(requestsOf("watch")[1]?.query.get("resourceVersion")).toBe("rv-5");
    expect(retries).toHaveLength(1);
    expect(retries[0]).toMatchObject({ delayMs: 0, relist: true });
    expect((retries[0]!.error as ApiError).status).toBe(410);
    expect(scheduler.requested.filter((d) => d < BACKOFF_ONLY)).toEqual([]); // no backoff wait
    expect([...reflector.snapshot.objects.keys()].sort()).toEqual(["test-ns/a", "test-ns/c"]);
    expect(reflector.snapshot.objects.get("test-ns/a")?.metadata.resourceVersion).toBe("rv-5");
  });

  test("startFromResourceVersion watches first; an HTTP 410 answer then relists and watches on", async () => {
    const watch = new ScriptedWatch();
    api
      .on("watch", () => json(statusBody(410, "Expired", "too old resource version: 1 (99)"), 410))
      .on("list", () => listPage([configMap("x", "rv-99")], "rv-99"))
      .on("watch", () => watch.response);
    const { events, retries } = start({ startFromResourceVersion: "1" });
    await until(() => requestsOf("watch").length === 2, "watch after relist");

    expect(
      api.requests.map((r) => (r.query.get("watch") ? `watch@${r.query.get("resourceVersion")}` : "list")),
    ).toEqual(["watch@1", "list", "watch@rv-99"]);
    expect(trace(events)).toEqual(["init", "initApply x@rv-99", "initDone rv-99"]);
    expect(retries[0]).toMatchObject({ delayMs: 0, relist: true });
    watch.send(added(configMap("y", "rv-100")));
    await until(() => events.length === 4, "the event after the relist");
    expect(trace(events)[3]).toBe("apply y@rv-100");
  });

  test("a second 410 in a row backs off instead of relisting in a tight loop", async () => {
    api
      .on("list", () => listPage([], "rv-1"))
      .on("watch", () => json(statusBody(410, "Expired", "too old"), 410))
      .on("list", () => listPage([], "rv-2"))
      .on("watch", () => json(statusBody(410, "Expired", "too old"), 410))
      .on("list", () => listPage([], "rv-3"))
      .on("watch", () => new ScriptedWatch().response);
    const { retries } = start();
    await until(() => retries.length === 2, "two retries");
    expect(retries.map((r) => [r.delayMs, r.relist])).toEqual([
      [0, true],
      [200, true],
    ]);
    expect(requestsOf("list")).toHaveLength(2); // waiting, not listing
    expect(await scheduler.fireNext(BACKOFF_ONLY)).toBe(200);
    await until(() => requestsOf("watch").length === 3, "third watch");
    expect(requestsOf("watch")[2]?.query.get("resourceVersion")).toBe("rv-3");
  });

  test("a cut connection and 5xx answers resume from the last resourceVersion with exponential backoff", async () => {
    const first = new ScriptedWatch();
    const last = new ScriptedWatch();
    api
      .on("list", () => listPage([], "rv-1"))
      .on("watch", () => first.response)
      .on("watch", () => json(statusBody(500, "InternalError", "etcd is down"), 500))
      .on("watch", () => json(statusBody(503, "ServiceUnavailable", "starting"), 503))
      .on("watch", () => last.response);
    const { events, retries } = start();
    await until(() => requestsOf("watch").length === 1, "first watch");
    first.send(added(configMap("a", "rv-2")));
    await until(() => events.length === 3, "the added event");
    first.cut();

    expect(await scheduler.fireNext(BACKOFF_ONLY)).toBe(200);
    expect(await scheduler.fireNext(BACKOFF_ONLY)).toBe(400);
    expect(await scheduler.fireNext(BACKOFF_ONLY)).toBe(800);
    await until(() => requestsOf("watch").length === 4, "fourth watch");
    expect(requestsOf("watch").map((r) => r.query.get("resourceVersion"))).toEqual([
      "rv-1",
      "rv-2",
      "rv-2",
      "rv-2",
    ]);
    expect(requestsOf("list")).toHaveLength(1);
    expect(retries[0]?.error).toBeInstanceOf(TransportError);
    expect(retries.slice(1).map((r) => (r.error as ApiError).status)).toEqual([500, 503]);
    expect(retries.every((r) => !r.relist)).toBe(true);
    last.send(modified(configMap("a", "rv-3")));
    await until(() => events.length === 4, "event after resuming");
  });

  test("an in-stream ERROR other than 410 resumes (no relist)", async () => {
    const first = new ScriptedWatch();
    api
      .on("list", () => listPage([], "rv-1"))
      .on("watch", () => first.response)
      .on("watch", () => new ScriptedWatch().response);
    const { retries } = start();
    await until(() => requestsOf("watch").length === 1, "first watch");
    first.send(added(configMap("a", "rv-2")), {
      type: "ERROR",
      object: statusBody(500, "InternalError", "x"),
    });
    await scheduler.fireNext(BACKOFF_ONLY);
    await until(() => requestsOf("watch").length === 2, "second watch");
    expect(requestsOf("watch")[1]?.query.get("resourceVersion")).toBe("rv-2");
    expect(retries[0]).toMatchObject({ delayMs: 200, relist: false });
  });

  test("the backoff resets after a connection stayed healthy for resetAfterMs", async () => {
    const watches = [new ScriptedWatch(), new ScriptedWatch(), new ScriptedWatch(), new ScriptedWatch()];
    api.on("list", () => listPage([], "rv-1"));
    for (const w of watches) api.on("watch", () => w.response);
    const { events } = start({ backoff: { random: () => 0.5, resetAfterMs: 60_000 } });

    await until(() => requestsOf("watch").length === 1, "watch 1");
    watches[0]!.cut();
    expect(await scheduler.fireNext(BACKOFF_ONLY)).toBe(200);
    await until(() => requestsOf("watch").length === 2, "watch 2");
    watches[1]!.cut();
    expect(await scheduler.fireNext(BACKOFF_ONLY)).toBe(400);
    await until(() => requestsOf("watch").length === 3, "watch 3");
    watches[2]!.send(added(configMap("a", "rv-2"))); // proves the watch is connected
    await until(() => events.length === 3, "event on watch 3");
    scheduler.advance(60_000);
    watches[2]!.cut();
    expect(await scheduler.fireNext(BACKOFF_ONLY)).toBe(200);
  });

  test("backoff delays double up to the ceiling and stay within the jitter band", async () => {
    api.on("list", () => listPage([], "rv-1"));
    for (let i = 0; i < 12; i++) api.on("watch", () => json(statusBody(500, "InternalError", "down"), 500));
    api.on("watch", () => new ScriptedWatch().response);
    const randoms = [0, 0.999]; // alternately the low and the high edge of the band
    let call = 0;
    const random = () => randoms[call++ % 2]!;
    const { retries } = start({ backoff: { random, initialMs: 200, maxMs: 5000, jitter: 0.5 } });
    for (let i = 0; i < 12; i++) await scheduler.fireNext(BACKOFF_ONLY);
    await until(() => requestsOf("watch").length === 13, "13 watches");
    const bases = [200, 400, 800, 1600, 3200, 5000, 5000, 5000, 5000, 5000, 5000, 5000];
    retries.forEach((retry, i) => {
      const base = bases[i]!;
      if (i % 2 === 0) expect(retry.delayMs).toBe(base * 0.75);
      else expect(Math.abs(retry.delayMs - base * 1.25)).toBeLessThanOrEqual(base * 0.001);
    });
    expect(retries).toHaveLength(12);
  });

  test("a failed list retries with backoff and starts a fresh init frame", async () => {
    api
      .on("list", () => listPage([configMap("a", "rv-1")], "rv-1", "page-2"))
      .on("list", () => json(statusBody(500, "InternalError", "boom"), 500))
      .on("list", () => listPage([configMap("a", "rv-3"), configMap("b", "rv-3")], "rv-3"))
      .on("watch", () => new ScriptedWatch().response);
    const { events, retries, reflector } = start();
    await until(() => retries.length === 1, "list failure");
    expect(retries[0]).toMatchObject({ delayMs: 200, relist: true });
    expect(reflector.snapshot.synced).toBe(false);
    await scheduler.fireNext(BACKOFF_ONLY);
    await until(() => requestsOf("watch").length === 1, "watch");
    expect(trace(events)).toEqual([
      "init",
      "initApply a@rv-1",
      "init",
      "initApply a@rv-3",
      "initApply b@rv-3",
      "initDone rv-3",
    ]);
    expect(requestsOf("list")[2]?.query.has("continue")).toBe(false);
    expect(reflector.snapshot.synced).toBe(true);
    expect([...reflector.snapshot.objects.keys()]).toEqual(["test-ns/a", "test-ns/b"]);
  });

  test("namespace, label and field selectors scope both list and watch", async () => {
    api.on("list", () => listPage([], "rv-1")).on("watch", () => new ScriptedWatch().response);
    start({ namespace: "ns1", labelSelector: "app=web,tier!=db", fieldSelector: "metadata.name=x" });
    await until(() => requestsOf("watch").length === 1, "watch");
    for (const request of api.requests) {
      expect(request.path).toBe("/api/v1/namespaces/ns1/configmaps");
      expect(request.query.get("labelSelector")).toBe("app=web,tier!=db");
      expect(request.query.get("fieldSelector")).toBe("metadata.name=x");
    }
  });

  test("a watch that outlives timeoutSeconds + grace is aborted and resumed", async () => {
    const stuck = new ScriptedWatch();
    api
      .on("list", () => listPage([], "rv-1"))
      .on("watch", () => stuck.response)
      .on("watch", () => new ScriptedWatch().response);
    const { retries } = start({ watchTimeoutSeconds: 10, watchGraceMs: 5000 });
    await until(() => requestsOf("watch").length === 1, "watch");
    expect(await scheduler.fireNext()).toBe(15_000);
    await until(() => requestsOf("watch")[0]!.aborted(), "the server to see the abort");
    expect(await scheduler.fireNext(BACKOFF_ONLY)).toBe(200);
    await until(() => requestsOf("watch").length === 2, "resumed watch");
    expect(retries[0]).toMatchObject({ relist: false });
  });

  test("unsubscribing aborts the open watch request and leaves no timer behind", async () => {
    api.on("list", () => listPage([], "rv-1")).on("watch", () => new ScriptedWatch().response);
    start();
    await until(() => requestsOf("watch").length === 1, "watch");
    await until(() => scheduler.pending().length === 1, "the watch deadline timer");
    subscription?.unsubscribe();
    await until(() => requestsOf("watch")[0]!.aborted(), "the server to see the abort");
    expect(scheduler.pending()).toEqual([]);
  });

  test("unsubscribing during a backoff wait cancels it; nothing is requested afterwards", async () => {
    api.on("list", () => json(statusBody(500, "InternalError", "down"), 500));
    const { retries } = start();
    await until(() => retries.length === 1, "the failure");
    expect(await scheduler.waitForTimer(BACKOFF_ONLY)).toBe(200);
    subscription?.unsubscribe();
    expect(scheduler.pending()).toEqual([]);
    await Bun.sleep(30);
    expect(api.requests).toHaveLength(1);
    expect(api.unexpected).toEqual([]);
  });
});
