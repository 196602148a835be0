import type { KubeObject } from "./types.ts";

/**
 * The one place store keys are built: `namespace/name` for namespaced objects and `name` for
 * cluster-scoped ones, the same shape as client-go's MetaNamespaceKeyFunc, so keys read like the
 * `kubectl` arguments they stand for and never collide across scopes.
 */
export function objectKey(namespace: string | undefined, name: string): string {
  return namespace ? `${namespace}/${name}` : name;
}

/** The store key of an object, from its metadata. */
export function keyOf(object: KubeObject): string {
  return objectKey(object.metadata.namespace, object.metadata.name ?? "");
}
