/**
 * kube/: the only code that talks to the apiserver.
 *
 *   const client = new KubeClient(await resolveConnection());      // in-cluster, or $KUBECONFIG
 *   const services$ = listWatch$<Service>(client, resources.services).pipe(reflect());
 *   // services$ emits StoreSnapshot { objects: ReadonlyMap<"ns/name", Service>, synced }
 *   await client.applyStatus(resources.services, { metadata: { name, namespace }, status }, { force: true });
 *   await createEvent(client, { about: svc, type: "Normal", reason: "IPAllocated", message, component });
 *
 * Errors are Error subclasses with a `code`: ApiError (status, reason), TransportError,
 * KubeConfigError, ProtocolError; branch with isNotFound / isAlreadyExists / isConflict / isGone.
 */
export { Backoff, type BackoffOptions } from "./backoff.ts";
export {
  type DeleteOptions,
  FIELD_MANAGER,
  KubeClient,
  type KubeClientOptions,
  type ListOptions,
  type PatchOptions,
  type PatchType,
  type WatchOptions,
  withTypeMeta,
} from "./client.ts";
export { DEFAULT_NAMESPACE, type ResolveOptions, resolveConnection } from "./config.ts";
export type { Connection, TlsMaterial } from "./connection.ts";
export {
  ApiError,
  isAlreadyExists,
  isConflict,
  isGone,
  isNotFound,
  KubeConfigError,
  ProtocolError,
  TransportError,
} from "./errors.ts";
export { type CoreEvent, createEvent, type EventInput, eventFor } from "./events.ts";
export { SERVICEACCOUNT_DIR, SERVICEACCOUNT_DIR_ENV } from "./in-cluster.ts";
export { keyOf, objectKey } from "./keys.ts";
export { apiVersionOf, type ResourceType, resourcePath, resources } from "./resource.ts";
export { getOrCreateSecret, getSecret, type Secret, secretValues } from "./secrets.ts";
export { Reflector, reflect, type StoreSnapshot } from "./store.ts";
export { fileToken, staticToken, type TokenSource } from "./token.ts";
export type { KubeList, KubeObject, ObjectMeta, OwnerReference, RawWatchEvent, Status } from "./types.ts";
export { type ListWatchOptions, listWatch$, type RetryInfo, type WatchEvent, WatchStopped } from "./watch.ts";
