import type { Connection, TlsMaterial } from "./connection.ts";
import { ApiError, ProtocolError, TransportError } from "./errors.ts";
import { linesOf } from "./ndjson.ts";
import { apiVersionOf, type ResourceType, resourcePath } from "./resource.ts";
import { SharedDeadline } from "./shared-deadline.ts";
import type { KubeList, KubeObject, RawWatchEvent, Status } from "./types.ts";

/** Our name in managedFields (server-side apply) and on every write. */
export const FIELD_MANAGER = "metalbun";

/**
 * The patch flavours of the API conventions ("Patch operations"): JSON merge patch (RFC 7386),
 * strategic merge (core kinds only), JSON patch (RFC 6902) and server-side apply.
 */
export type PatchType = "merge" | "strategic" | "json" | "apply";

const patchContentType: Record<PatchType, string> = {
  merge: "application/merge-patch+json",
  strategic: "application/strategic-merge-patch+json",
  json: "application/json-patch+json",
  // JSON is YAML, so the apply body can stay JSON.
  apply: "application/apply-patch+yaml",
};

export type FetchLike = (url: string, init: BunFetchRequestInit) => Promise<Response>;

export interface KubeClientOptions {
  fieldManager?: string;
  userAgent?: string;
  /** Bound on each non-watch request; watches are bounded by their own timeoutSeconds. */
  requestTimeoutMs?: number;
  /** Replaces Bun's fetch (tests). */
  fetch?: FetchLike;
}

export interface ListOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: "Exact" | "NotOlderThan";
  signal?: AbortSignal;
}

export interface WatchOptions {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Start after this (opaque) resourceVersion; "" or absent means "from now" per the API. */
  resourceVersion?: string;
  allowWatchBookmarks?: boolean;
  /** Asks the apiserver to end the stream after this many seconds. */
  timeoutSeconds?: number;
  signal?: AbortSignal;
}

export interface WriteOptions {
  /** Appends `dryRun=All`: validated and defaulted, not persisted. */
  dryRun?: boolean;
  signal?: AbortSignal;
}

export interface PatchOptions extends WriteOptions {
  type: PatchType;
  /** Server-side apply only: take ownership of fields other managers own (API conventions: conflicts). */
  force?: boolean;
  subresource?: string;
}

export interface DeleteOptions extends WriteOptions {
  propagationPolicy?: "Orphan" | "Background" | "Foreground";
  /** Delete only if the object still has this uid / resourceVersion. */
  preconditions?: { uid?: string; resourceVersion?: string };
  gracePeriodSeconds?: number;
}

type Query = Record<string, string | number | boolean | undefined>;

interface RequestSpec {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  path: string;
  query?: Query;
  body?: unknown;
  contentType?: string;
  signal?: AbortSignal;
  /** Streaming responses (watch) get no client-side deadline. */
  stream?: boolean;
}

/**
 * A thin typed client for the apiserver's REST API on Bun's fetch (whose `tls` option carries the
 * CA and client certificate; see docs/dependencies.md for why not client-node 2.x or KFC).
 * Every failure is thrown as an Error subclass: ApiError (the apiserver said no), TransportError
 * (no answer), ProtocolError (an answer we cannot read), or the caller's own abort reason.
 */
export class KubeClient {
  readonly fieldManager: string;
  /** The namespace the operator lives in (from the connection). */
  readonly namespace: string;
  private readonly fetchImpl: FetchLike;
  private readonly userAgent: string;
  /** Each request's deadline (requestTimeoutMs), a timer shared by the requests of one slice. */
  private readonly deadline: SharedDeadline;
  /** Bun's fetch `tls` options, made once: the material does not change for a connection. */
  private readonly tlsOptions: TlsMaterial;

  constructor(
    readonly connection: Connection,
    options: KubeClientOptions = {},
  ) {
    this.fieldManager = options.fieldManager ?? FIELD_MANAGER;
    this.namespace = connection.namespace;
    this.fetchImpl = options.fetch ?? ((url, init) => fetch(url, init));
    this.userAgent = options.userAgent ?? "metalbun";
    this.deadline = new SharedDeadline(options.requestTimeoutMs ?? 30_000);
    const { tls } = connection;
    this.tlsOptions = {
      ca: tls.ca,
      cert: tls.cert,
      key: tls.key,
      rejectUnauthorized: tls.rejectUnauthorized,
      ...(tls.serverName && { serverName: tls.serverName }),
    };
  }

  async get<T extends KubeObject>(
    resource: ResourceType,
    name: string,
    namespace?: string,
    options: { signal?: AbortSignal } = {},
  ): Promise<T> {
    return this.json<T>({
      method: "GET",
      path: resourcePath(resource, { namespace, name }),
      signal: options.signal,
    });
  }

  /** One page of a list. Items of a list carry no apiVersion/kind (API conventions); see {@link withTypeMeta}. */
  async list<T extends KubeObject>(resource: ResourceType, options: ListOptions = {}): Promise<KubeList<T>> {
    return this.json<KubeList<T>>({
      method: "GET",
      path: resourcePath(resource, { namespace: options.namespace }),
      query: {
        labelSelector: options.labelSelector,
        fieldSelector: options.fieldSelector,
        limit: options.limit,
        continue: options.continue,
        resourceVersion: options.resourceVersion,
        resourceVersionMatch: options.resourceVersionMatch,
      },
      signal: options.signal,
    });
  }

  async create<T extends KubeObject>(
    resource: ResourceType,
    object: T,
    options: WriteOptions = {},
  ): Promise<T> {
    return this.json<T>({
      method: "POST",
      path: resourcePath(resource, { namespace: object.metadata.namespace }),
      query: this.writeQuery(options),
      body: withTypeMeta(resource, object),
      contentType: "application/json",
      signal: options.signal,
    });
  }

  /** PUT: optimistic concurrency on metadata.resourceVersion (409 Conflict when stale). */
  async replace<T extends KubeObject>(
    resource: ResourceType,
    object: T,
    options: WriteOptions = {},
  ): Promise<T> {
    return this.json<T>({
      method: "PUT",
      path: objectPath(resource, object),
      query: this.writeQuery(options),
      body: withTypeMeta(resource, object),
      contentType: "application/json",
      signal: options.signal,
    });
  }

  async patch<T extends KubeObject>(
    resource: ResourceType,
    name: string,
    namespace: string | undefined,
    patch: unknown,
    options: PatchOptions,
  ): Promise<T> {
    return this.json<T>({
      method: "PATCH",
      path: resourcePath(resource, { namespace, name, subresource: options.subresource }),
      query: { ...this.writeQuery(options), force: options.type === "apply" ? options.force : undefined },
      body: patch,
      contentType: patchContentType[options.type],
      signal: options.signal,
    });
  }

  /**
   * Server-side apply of `object` (which names itself) as our field manager: we declare the fields
   * we own and the apiserver merges. `force` takes over fields owned by another manager.
   */
  async apply<T extends KubeObject>(
    resource: ResourceType,
    object: T,
    options: WriteOptions & { force?: boolean; subresource?: string } = {},
  ): Promise<T> {
    const { name, namespace } = object.metadata;
    if (!name) throw new TypeError("server-side apply needs metadata.name");
    return this.patch<T>(resource, name, namespace, withTypeMeta(resource, object), {
      ...options,
      type: "apply",
    });
  }

  /** Server-side apply on the status subresource: what a controller uses to publish status. */
  async applyStatus<T extends KubeObject>(
    resource: ResourceType,
    object: T,
    options: WriteOptions & { force?: boolean } = {},
  ): Promise<T> {
    return this.apply<T>(resource, object, { ...options, subresource: "status" });
  }

  /** PUT on the status subresource (optimistic concurrency on resourceVersion). */
  async updateStatus<T extends KubeObject>(
    resource: ResourceType,
    object: T,
    options: WriteOptions = {},
  ): Promise<T> {
    return this.json<T>({
      method: "PUT",
      path: objectPath(resource, object, "status"),
      query: this.writeQuery(options),
      body: withTypeMeta(resource, object),
      contentType: "application/json",
      signal: options.signal,
    });
  }

  async patchStatus<T extends KubeObject>(
    resource: ResourceType,
    name: string,
    namespace: string | undefined,
    patch: unknown,
    options: Omit<PatchOptions, "subresource">,
  ): Promise<T> {
    return this.patch<T>(resource, name, namespace, patch, { ...options, subresource: "status" });
  }

  /**
   * patchStatus for a writer that never reads the answer (the watch brings the object): the body
   * is drained, so the connection is reused, but not decoded or parsed. A 10k cold start parses
   * 10k Services fewer.
   */
  async patchStatusUnread(
    resource: ResourceType,
    name: string,
    namespace: string | undefined,
    patch: unknown,
    options: Omit<PatchOptions, "subresource">,
  ): Promise<void> {
    const spec: RequestSpec = {
      method: "PATCH",
      path: resourcePath(resource, { namespace, name, subresource: "status" }),
      query: this.writeQuery(options),
      body: patch,
      contentType: patchContentType[options.type],
      signal: options.signal,
    };
    const response = await this.send(spec);
    try {
      await response.arrayBuffer();
    } catch (error) {
      throw this.transportFailure(error, spec.signal, `${spec.method} ${spec.path}`);
    }
  }

  /** Returns the deleted object (or a Status, for kinds that answer so); 404 is thrown as ApiError. */
  async delete(
    resource: ResourceType,
    name: string,
    namespace?: string,
    options: DeleteOptions = {},
  ): Promise<KubeObject | Status> {
    const hasBody =
      options.propagationPolicy || options.preconditions || options.gracePeriodSeconds !== undefined;
    return this.json<KubeObject | Status>({
      method: "DELETE",
      path: resourcePath(resource, { namespace, name }),
      query: { dryRun: options.dryRun ? "All" : undefined },
      body: hasBody
        ? {
            apiVersion: "v1",
            kind: "DeleteOptions",
            propagationPolicy: options.propagationPolicy,
            preconditions: options.preconditions,
            gracePeriodSeconds: options.gracePeriodSeconds,
          }
        : undefined,
      contentType: hasBody ? "application/json" : undefined,
      signal: options.signal,
    });
  }

  /**
   * Opens a watch and yields its events as the apiserver sends them, ERROR events included (the
   * caller decides what a 410 means). Ends when the server ends the stream; throws ApiError for a
   * non-2xx answer, TransportError when the stream breaks. Stopping the iteration or aborting
   * `signal` closes the connection.
   */
  async *watch<T extends KubeObject>(
    resource: ResourceType,
    options: WatchOptions = {},
  ): AsyncGenerator<RawWatchEvent<T>, void, undefined> {
    yield* await this.openWatch<T>(resource, options);
  }

  /**
   * Like {@link watch}, in two steps: resolves once the apiserver has accepted the watch (2xx
   * headers received), then the returned iterator yields the events.
   */
  async openWatch<T extends KubeObject>(
    resource: ResourceType,
    options: WatchOptions = {},
  ): Promise<AsyncGenerator<RawWatchEvent<T>, void, undefined>> {
    const what = `watch ${resource.plural}`;
    const response = await this.send({
      method: "GET",
      path: resourcePath(resource, { namespace: options.namespace }),
      query: {
        watch: true,
        resourceVersion: options.resourceVersion,
        allowWatchBookmarks: options.allowWatchBookmarks,
        labelSelector: options.labelSelector,
        fieldSelector: options.fieldSelector,
        timeoutSeconds: options.timeoutSeconds,
      },
      signal: options.signal,
      stream: true,
    });
    const failure = (error: unknown) => this.transportFailure(error, options.signal, what);
    return (async function* events() {
      if (!response.body) return;
      try {
        for await (const line of linesOf(response.body)) {
          let event: RawWatchEvent<T>;
          try {
            event = JSON.parse(line) as RawWatchEvent<T>;
          } catch {
            throw new ProtocolError(`${what}: not a JSON event: ${line.slice(0, 200)}`);
          }
          yield event;
        }
      } catch (error) {
        throw failure(error);
      }
      // Bun ends an aborted body quietly; report the abort like every other aborted call does.
      if (options.signal?.aborted) throw options.signal.reason;
    })();
  }

  /** Sends a request and returns the parsed JSON body of a 2xx answer. */
  private async json<T>(spec: RequestSpec): Promise<T> {
    const response = await this.send(spec);
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw this.transportFailure(error, spec.signal, `${spec.method} ${spec.path}`);
    }
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ProtocolError(`${spec.method} ${spec.path}: answer is not JSON: ${text.slice(0, 200)}`);
    }
  }

  /**
   * Sends one request and returns a 2xx response (body unread). A 401 with a token re-reads the token
   * and tries once more: a rotated ServiceAccount token is the usual cause.
   */
  private async send(spec: RequestSpec): Promise<Response> {
    let response = await this.attempt(spec);
    if (response.status === 401 && this.connection.token) {
      await response.body?.cancel().catch(() => {});
      this.connection.token.invalidate();
      response = await this.attempt(spec);
    }
    if (response.ok) return response;
    throw await errorOf(response, spec);
  }

  private async attempt(spec: RequestSpec): Promise<Response> {
    const headers: Record<string, string> = { Accept: "application/json", "User-Agent": this.userAgent };
    if (spec.contentType) headers["Content-Type"] = spec.contentType;
    const token = await this.connection.token?.current();
    if (token) headers.Authorization = `Bearer ${token}`;
    const signal = spec.stream
      ? spec.signal
      : spec.signal
        ? AbortSignal.any([spec.signal, this.deadline.signal()])
        : this.deadline.signal();
    try {
      return await this.fetchImpl(this.connection.server + spec.path + queryString(spec.query), {
        method: spec.method,
        headers,
        body: spec.body === undefined ? undefined : JSON.stringify(spec.body),
        signal,
        tls: this.tlsOptions,
        ...(this.connection.proxy && { proxy: this.connection.proxy }),
      });
    } catch (error) {
      throw this.transportFailure(error, spec.signal, `${spec.method} ${spec.path}`);
    }
  }

  /** Keeps the caller's own abort as it is; everything else below HTTP becomes a TransportError. */
  private transportFailure(error: unknown, callerSignal: AbortSignal | undefined, what: string): unknown {
    if (callerSignal?.aborted) return callerSignal.reason ?? error;
    if (error instanceof ApiError || error instanceof ProtocolError || error instanceof TransportError)
      return error;
    const message = error instanceof Error ? error.message : String(error);
    return new TransportError(`${what}: ${message}`, { cause: error });
  }

  private writeQuery(options: WriteOptions): Query {
    return { fieldManager: this.fieldManager, dryRun: options.dryRun ? "All" : undefined };
  }
}

/** Fills apiVersion/kind from the resource when absent (list items and hand-written bodies lack them). */
export function withTypeMeta<T extends KubeObject>(resource: ResourceType, object: T): T {
  if (object.apiVersion && object.kind) return object;
  return {
    ...object,
    apiVersion: object.apiVersion ?? apiVersionOf(resource),
    kind: object.kind ?? resource.kind,
  };
}

function objectPath(resource: ResourceType, object: KubeObject, subresource?: string): string {
  const { name, namespace } = object.metadata;
  if (!name) throw new TypeError(`${resource.kind} without metadata.name`);
  return resourcePath(resource, { namespace, name, subresource });
}

function queryString(query: Query | undefined): string {
  if (!query) return "";
  let text = "";
  for (const key in query) {
    const value = query[key];
    if (value === undefined || value === "") continue;
    text += `${text ? "&" : "?"}${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`;
  }
  return text;
}

/** An ApiError from a non-2xx answer: the metav1.Status body when there is one, else the text. */
async function errorOf(response: Response, spec: RequestSpec): Promise<ApiError> {
  const text = await response.text().catch(() => "");
  try {
    const body = JSON.parse(text) as Status;
    if (body && body.kind === "Status") return ApiError.fromStatus(body, response.status);
  } catch {
    // not JSON: fall through
  }
  const message = `${spec.method} ${spec.path}: HTTP ${response.status} ${text.slice(0, 200)}`.trim();
  return new ApiError(response.status, "", message);
}
