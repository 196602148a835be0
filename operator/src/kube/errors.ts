import type { Status } from "./types.ts";

/**
 * An error answer from the apiserver: the HTTP status plus the machine-readable `reason` of the
 * metav1.Status body (API conventions, "Response Status Kind"). Callers branch on `status` or
 * `reason`, never on `message`, which is for humans.
 */
export class ApiError extends Error {
  readonly code = "KUBE_API_ERROR";
  override readonly name = "ApiError";

  constructor(
    /** HTTP status code, or the `code` of an in-stream watch ERROR event. */
    readonly status: number,
    /** metav1.StatusReason, e.g. "NotFound", "AlreadyExists", "Conflict", "Expired"; "" when unknown. */
    readonly reason: string,
    message: string,
    /** The metav1.Status body when the apiserver sent one. */
    readonly body?: Status,
  ) {
    super(message);
  }

  /** An ApiError from a metav1.Status, falling back to `httpStatus` when the body carries no code. */
  static fromStatus(body: Status, httpStatus: number): ApiError {
    const status = body.code ?? httpStatus;
    return new ApiError(status, body.reason ?? "", body.message ?? `HTTP ${status}`, body);
  }
}

/** The request never got an HTTP answer (refused, reset, TLS failure, stream cut). Always retryable. */
export class TransportError extends Error {
  readonly code = "KUBE_TRANSPORT_ERROR";
  override readonly name = "TransportError";
}

/** Connection settings could not be resolved (no kubeconfig context, unreadable token file, ...). */
export class KubeConfigError extends Error {
  readonly code = "KUBE_CONFIG_ERROR";
  override readonly name = "KubeConfigError";
}

/** The apiserver answered something that is not what its API promises (e.g. a non-JSON line). */
export class ProtocolError extends Error {
  readonly code = "KUBE_PROTOCOL_ERROR";
  override readonly name = "ProtocolError";
}

export function isNotFound(error: unknown): boolean {
  return error instanceof ApiError && error.status === 404;
}

export function isAlreadyExists(error: unknown): boolean {
  return error instanceof ApiError && error.status === 409 && error.reason === "AlreadyExists";
}

/** Optimistic-concurrency failure: the resourceVersion we sent is no longer current. */
export function isConflict(error: unknown): boolean {
  return error instanceof ApiError && error.status === 409 && error.reason !== "AlreadyExists";
}

/**
 * The requested resourceVersion is older than what the apiserver (its watch cache or etcd after
 * compaction) still has: HTTP 410 with reason "Expired" or "Gone". The only cure is a fresh list.
 */
export function isGone(error: unknown): boolean {
  return error instanceof ApiError && (error.status === 410 || error.reason === "Expired");
}
