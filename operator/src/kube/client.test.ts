import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KubeClient } from "./client.ts";
import {
  ApiError,
  isAlreadyExists,
  isConflict,
  isGone,
  isNotFound,
  ProtocolError,
  TransportError,
} from "./errors.ts";
import { resources } from "./resource.ts";
import { FakeApiserver, json, ScriptedWatch, statusBody } from "./testing/fake-apiserver.ts";
import { fileToken, staticToken } from "./token.ts";
import type { KubeObject, RawWatchEvent } from "./types.ts";

let api: FakeApiserver;
beforeEach(() => {
  api = new FakeApiserver();
});
afterEach(() => api.stop());

const echo = () => json({ metadata: { name: "x" } });

async function thrown(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection");
}

describe("KubeClient requests", () => {
  test("get sends the bearer token and addresses the namespaced object", async () => {
    api.on("list", () => json({ metadata: { name: "memberlist", namespace: "metallb-system" } }));
    const client = new KubeClient(api.connection({ token: staticToken("sekret") }));
    const secret = await client.get(resources.secrets, "memberlist", "metallb-system");
    expect(secret.metadata.name).toBe("memberlist");
    const [request] = api.requests;
    expect(request?.method).toBe("GET");
    expect(request?.path).toBe("/api/v1/namespaces/metallb-system/secrets/memberlist");
    expect(request?.headers.get("authorization")).toBe("Bearer sekret");
    expect(request?.headers.get("accept")).toBe("application/json");
  });

  test("create fills apiVersion/kind and names our field manager", async () => {
    api.on("other", echo);
    const client = new KubeClient(api.connection());
    await client.create(resources.ipAddressPools, { metadata: { name: "p", namespace: "metallb-system" } });
    const [request] = api.requests;
    expect(request?.method).toBe("POST");
    expect(request?.path).toBe("/apis/metallb.io/v1beta1/namespaces/metallb-system/ipaddresspools");
    expect(request?.query.get("fieldManager")).toBe("metalbun");
    expect(JSON.parse(request?.body ?? "")).toEqual({
      apiVersion: "metallb.io/v1beta1",
      kind: "IPAddressPool",
      metadata: { name: "p", namespace: "metallb-system" },
    });
  });

  test.each([
    ["merge", "application/merge-patch+json"],
    ["strategic", "application/strategic-merge-patch+json"],
    ["json", "application/json-patch+json"],
    ["apply", "application/apply-patch+yaml"],
  ] as const)("a %s patch is sent as %s", async (type, contentType) => {
    api.on("other", echo);
    const client = new KubeClient(api.connection());
    await client.patch(resources.services, "web", "default", { metadata: { labels: { a: "b" } } }, { type });
    const [request] = api.requests;
    expect(request?.method).toBe("PATCH");
    expect(request?.path).toBe("/api/v1/namespaces/default/services/web");
    expect(request?.headers.get("content-type")).toBe(contentType);
  });

  test("server-side apply of status goes to /status with force and a typed body", async () => {
    api.on("other", echo);
    const client = new KubeClient(api.connection());
    await client.applyStatus(
      resources.services,
      {
        metadata: { name: "web", namespace: "default" },
        status: { loadBalancer: { ingress: [{ ip: "1.2.3.4" }] } },
      },
      { force: true },
    );
    const [request] = api.requests;
    expect(request?.path).toBe("/api/v1/namespaces/default/services/web/status");
    expect(request?.query.get("force")).toBe("true");
    expect(request?.query.get("fieldManager")).toBe("metalbun");
    expect(request?.headers.get("content-type")).toBe("application/apply-patch+yaml");
    expect(JSON.parse(request?.body ?? "")).toMatchObject({ apiVersion: "v1", kind: "Service" });
  });

  test("updateStatus PUTs the object to /status; patchStatus PATCHes it", async () => {
    api.on("other", echo).on("other", echo);
    const client = new KubeClient(api.connection());
    await client.updateStatus(resources.configurationStates, {
      metadata: { name: "c", namespace: "ns", resourceVersion: "r1" },
    });
    await client.patchStatus(resources.configurationStates, "c", "ns", { status: {} }, { type: "merge" });
    expect(api.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      "PUT /apis/metallb.io/v1beta1/namespaces/ns/configurationstates/c/status",
      "PATCH /apis/metallb.io/v1beta1/namespaces/ns/configurationstates/c/status",
    ]);
  });

  test("patchStatusUnread PATCHes /status, resolves without the object, and still throws API errors", async () => {
    api.on("other", echo);
    api.on("other", () => json(statusBody(422, "Invalid", "bad ip"), 422));
    const client = new KubeClient(api.connection());
    const patch = { status: { loadBalancer: { ingress: [{ ip: "1.2.3.4" }] } } };
    expect(
      await client.patchStatusUnread(resources.services, "web", "default", patch, { type: "merge" }),
    ).toBeUndefined();
    const error = await thrown(
      client.patchStatusUnread(resources.services, "web", "default", patch, { type: "merge" }),
    );
    expect(error).toMatchObject({ status: 422, reason: "Invalid" });
    expect(api.requests.map((r) => `${r.method} ${r.path} ${r.headers.get("content-type")}`)).toEqual([
      "PATCH /api/v1/namespaces/default/services/web/status application/merge-patch+json",
      "PATCH /api/v1/namespaces/default/services/web/status application/merge-patch+json",
    ]);
    expect(JSON.parse(api.requests[0]?.body ?? "")).toEqual(patch);
  });

  test("delete sends DeleteOptions with preconditions", async () => {
    api.on("other", () => json({ kind: "Status", status: "Success" }));
    const client = new KubeClient(api.connection());
    await client.delete(resources.events, "e1", "default", { preconditions: { uid: "u-1" } });
    const [request] = api.requests;
    expect(request?.method).toBe("DELETE");
    expect(JSON.parse(request?.body ?? "")).toMatchObject({
      kind: "DeleteOptions",
      preconditions: { uid: "u-1" },
    });
  });

  test("cluster-scoped resources ignore a namespace", async () => {
    api.on("list", () => json({ metadata: {}, items: [] }));
    const client = new KubeClient(api.connection());
    await client.list(resources.nodes, { namespace: "ignored", labelSelector: "a=b" });
    expect(api.requests[0]?.path).toBe("/api/v1/nodes");
    expect(api.requests[0]?.query.get("labelSelector")).toBe("a=b");
  });
});

describe("KubeClient errors", () => {
  test("a metav1.Status answer becomes an ApiError with status, reason and message", async () => {
    api.on("list", () => json(statusBody(404, "NotFound", 'secrets "nope" not found'), 404));
    const client = new KubeClient(api.connection());
    const error = await thrown(client.get(resources.secrets, "nope", "ns"));
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({
      status: 404,
      reason: "NotFound",
      message: 'secrets "nope" not found',
      code: "KUBE_API_ERROR",
    });
    expect(isNotFound(error)).toBe(true);
    expect(isAlreadyExists(error)).toBe(false);
  });

  test("409 AlreadyExists and 409 Conflict are told apart; 410 is Gone", () => {
    expect(isAlreadyExists(new ApiError(409, "AlreadyExists", "x"))).toBe(true);
    expect(isConflict(new ApiError(409, "AlreadyExists", "x"))).toBe(false);
    expect(isConflict(new ApiError(409, "Conflict", "x"))).toBe(true);
    expect(isGone(new ApiError(410, "Gone", "x"))).toBe(true);
    expect(isGone(new ApiError(410, "Expired", "x"))).toBe(true);
    expect(isGone(new ApiError(500, "InternalError", "x"))).toBe(false);
  });

  test("a non-Status error body still yields an ApiError carrying the HTTP status", async () => {
    api.on("list", () => new Response("upstream connect error", { status: 503 }));
    const client = new KubeClient(api.connection());
    const error = await thrown(client.get(resources.nodes, "n1"));
    expect(error).toMatchObject({ status: 503, reason: "" });
    expect((error as Error).message).toContain("upstream connect error");
  });

  test("a 401 re-reads the token file once and retries with the new token", async () => {
    const dir = await mkdtemp(join(tmpdir(), "metalbun-token-"));
    const path = join(dir, "token");
    await writeFile(path, "old-token\n");
    const token = fileToken(path, { maxAgeMs: 3_600_000 });
    await token.current();
    await writeFile(path, "new-token\n"); // rotated by the kubelet; the cache still holds old-token
    api
      .on("list", () => json(statusBody(401, "Unauthorized", "Unauthorized"), 401))
      .on("list", () => json({ metadata: { name: "n1" } }));
    const client = new KubeClient(api.connection({ token }));
    await client.get(resources.nodes, "n1");
    expect(api.requests.map((r) => r.headers.get("authorization"))).toEqual([
      "Bearer old-token",
      "Bearer new-token",
    ]);
  });

  test("a second 401 is thrown, not retried forever", async () => {
    api
      .on("list", () => json(statusBody(401, "Unauthorized", "Unauthorized"), 401))
      .on("list", () => json(statusBody(401, "Unauthorized", "Unauthorized"), 401));
    const client = new KubeClient(api.connection({ token: staticToken("bad") }));
    expect(await thrown(client.get(resources.nodes, "n1"))).toMatchObject({ status: 401 });
    expect(api.requests).toHaveLength(2);
  });

  test("no listener is a TransportError", async () => {
    const port = api.url.split(":").pop();
    api.stop();
    const client = new KubeClient({ ...api.connection(), server: `http://127.0.0.1:${port}` });
    const error = await thrown(client.get(resources.nodes, "n1"));
    expect(error).toBeInstanceOf(TransportError);
    expect(error).toMatchObject({ code: "KUBE_TRANSPORT_ERROR" });
  });

  test("a request that exceeds requestTimeoutMs is a TransportError", async () => {
    api.on("list", async () => {
      await Bun.sleep(300);
      return json({ metadata: {} });
    });
    const client = new KubeClient(api.connection(), { requestTimeoutMs: 50 });
    expect(await thrown(client.get(resources.nodes, "n1"))).toBeInstanceOf(TransportError);
  });

  test("the caller's abort is rethrown as its own reason", async () => {
    api.on("list", async () => {
      await Bun.sleep(300);
      return json({ metadata: {} });
    });
    const client = new KubeClient(api.connection());
    const abort = new AbortController();
    const reason = new Error("shutting down");
    setTimeout(() => abort.abort(reason), 20);
    expect(await thrown(client.get(resources.nodes, "n1", undefined, { signal: abort.signal }))).toBe(reason);
  });
});

describe("KubeClient.watch", () => {
  test("parses events split across chunks, multi-byte characters included", async () => {
    const stream = new ScriptedWatch();
    api.on("watch", () => stream.response);
    const client = new KubeClient(api.connection());
    const seen: RawWatchEvent<KubeObject>[] = [];
    const done = (async () => {
      for await (const event of client.watch(resources.configMaps, {
        namespace: "ns",
        resourceVersion: "r9",
      })) {
        seen.push(event);
      }
    })();
    await api.waitForRequests(1);
    const line = new TextEncoder().encode(
      `${JSON.stringify({ type: "ADDED", object: { metadata: { name: "grüße", resourceVersion: "r10" } } })}\n`,
    );
    const cut = line.indexOf(0xc3) + 1; // inside the two-byte "ü"
    stream.sendRaw(line.slice(0, cut)).sendRaw(line.slice(cut));
    stream.send({ type: "BOOKMARK", object: { metadata: { resourceVersion: "r11" } } });
    stream.end();
    await done;
    const metaOf = (e: RawWatchEvent<KubeObject>) => (e.type === "ERROR" ? undefined : e.object.metadata);
    expect(seen.map((e) => [e.type, metaOf(e)?.name, metaOf(e)?.resourceVersion])).toEqual([
      ["ADDED", "grüße", "r10"],
      ["BOOKMARK", undefined, "r11"],
    ]);
    const [request] = api.requests;
    expect(request?.query.get("watch")).toBe("true");
    expect(request?.query.get("resourceVersion")).toBe("r9");
  });

  test("a line that is not JSON is a ProtocolError", async () => {
    const stream = new ScriptedWatch();
    api.on("watch", () => stream.response);
    const client = new KubeClient(api.connection());
    const iterate = (async () => {
      for await (const _ of client.watch(resources.configMaps)) {
        // drain
      }
    })();
    await api.waitForRequests(1);
    stream.sendRaw("<html>proxy error</html>\n");
    expect(await thrown(iterate)).toBeInstanceOf(ProtocolError);
  });

  test("an HTTP 410 answer to a watch throws a Gone ApiError", async () => {
    api.on("watch", () => json(statusBody(410, "Expired", "too old resource version: 1 (5)"), 410));
    const client = new KubeClient(api.connection());
    const error = await thrown(client.openWatch(resources.configMaps, { resourceVersion: "1" }));
    expect(isGone(error)).toBe(true);
  });

  test("aborting the signal closes the stream and throws the abort reason", async () => {
    api.on("watch", () => new ScriptedWatch().response);
    const client = new KubeClient(api.connection());
    const abort = new AbortController();
    const events = await client.openWatch(resources.configMaps, { signal: abort.signal });
    const reason = new Error("stop");
    const next = events.next();
    abort.abort(reason);
    expect(await thrown(next)).toBe(reason);
    const deadline = Date.now() + 2000;
    while (!api.requests[0]?.aborted() && Date.now() < deadline) await Bun.sleep(5);
    expect(api.requests[0]?.aborted()).toBe(true);
  });
});
