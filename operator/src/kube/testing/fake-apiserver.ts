import type { Server } from "bun";
import type { Connection } from "../connection.ts";

/** A request as the fake apiserver saw it. */
export interface SeenRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: Headers;
  readonly body: string;
  /** true once the client went away (aborted or closed the connection). */
  readonly aborted: () => boolean;
}

export type Route = "list" | "watch" | "other";
type Handler = (request: SeenRequest) => Response | Promise<Response>;

/**
 * A scripted apiserver on 127.0.0.1 (plain HTTP; the real TLS path is proven by the e2e tests).
 * Tests queue one handler per expected request and route (list = GET collection, watch = GET with
 * watch=true, other = the rest); every request is recorded. An unscripted list or watch fails the
 * request with 599 and is recorded in `unexpected`, so a test sees it.
 */
export class FakeApiserver {
  readonly requests: SeenRequest[] = [];
  readonly unexpected: SeenRequest[] = [];
  private readonly queues: Record<Route, Handler[]> = { list: [], watch: [], other: [] };
  private readonly waiters: Array<() => void> = [];
  private readonly server: Server<undefined>;

  constructor() {
    this.server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      idleTimeout: 0,
      fetch: async (req) => {
        const url = new URL(req.url);
        let gone = false;
        req.signal.addEventListener("abort", () => {
          gone = true;
        });
        const seen: SeenRequest = {
          method: req.method,
          path: url.pathname,
          query: url.searchParams,
          headers: req.headers,
          body: await req.text(),
          aborted: () => gone || req.signal.aborted,
        };
        this.requests.push(seen);
        for (const wake of this.waiters.splice(0)) wake();
        const route: Route =
          req.method !== "GET" ? "other" : url.searchParams.get("watch") === "true" ? "watch" : "list";
        const handler = this.queues[route].shift();
        if (!handler) {
          this.unexpected.push(seen);
          return Response.json(
            { kind: "Status", code: 599, message: `unscripted ${route}` },
            { status: 599 },
          );
        }
        return handler(seen);
      },
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.server.port}`;
  }

  /** A Connection to this fake (no TLS, optional token). */
  connection(extra: Partial<Connection> = {}): Connection {
    return {
      server: this.url,
      tls: { rejectUnauthorized: true },
      namespace: "test-ns",
      source: "kubeconfig",
      ...extra,
    };
  }

  on(route: Route, handler: Handler): this {
    this.queues[route].push(handler);
    return this;
  }

  /** Resolves when at least `count` requests have arrived in total. */
  async waitForRequests(count: number, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.requests.length < count) {
      if (Date.now() > deadline) {
        throw new Error(`fake apiserver: waited for ${count} requests, got ${this.requests.length}`);
      }
      await new Promise<void>((resolve) => {
        this.waiters.push(resolve);
        setTimeout(resolve, 20);
      });
    }
  }

  stop(): void {
    this.server.stop(true);
  }
}

/** A JSON answer; `status` != 2xx with a metav1.Status body makes an API error. */
export function json(body: unknown, status = 200): Response {
  return Response.json(body, { status });
}

export function statusBody(code: number, reason: string, message: string) {
  return { apiVersion: "v1", kind: "Status", status: "Failure", code, reason, message };
}

/** One list page. */
export function listPage(items: unknown[], resourceVersion: string, continueToken?: string): Response {
  return json({
    apiVersion: "v1",
    kind: "ConfigMapList",
    metadata: { resourceVersion, ...(continueToken && { continue: continueToken }) },
    items,
  });
}

/** A watch stream the test drives: `send` events, `end` it cleanly, or `cut` the connection. */
export class ScriptedWatch {
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  readonly response: Response;
  private readonly encoder = new TextEncoder();

  constructor() {
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.controller = controller;
        // Bun.serve holds the headers back until the first chunk; an empty line (ignored by
        // the client's line splitter) makes the watch "connected" at once, as on a real apiserver.
        controller.enqueue(this.encoder.encode("\n"));
      },
    });
    this.response = new Response(body, { headers: { "Content-Type": "application/json" } });
  }

  send(...events: unknown[]): this {
    this.controller.enqueue(this.encoder.encode(events.map((e) => `${JSON.stringify(e)}\n`).join("")));
    return this;
  }

  /** Sends raw text, to split an event across chunks. */
  sendRaw(text: string | Uint8Array): this {
    this.controller.enqueue(typeof text === "string" ? this.encoder.encode(text) : text);
    return this;
  }

  /** The server ends the stream normally (as at timeoutSeconds). */
  end(): void {
    this.controller.close();
  }

  /** The connection breaks mid-stream (the client sees ECONNRESET). */
  cut(): void {
    this.controller.error();
  }
}

export function configMap(name: string, resourceVersion: string, namespace = "test-ns", data = {}) {
  return { metadata: { name, namespace, resourceVersion, uid: `uid-${name}` }, data };
}
