/**
 * The few Kubernetes object shapes the client layer itself needs. Kind-specific types (Service,
 * IPAddressPool, ...) live with their users; everything here is the generic envelope.
 */

/** metav1.ObjectMeta, restricted to the fields this layer reads or writes. */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  /** Opaque (API conventions, "Concurrency Control and Consistency"): compare only for equality. */
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: readonly OwnerReference[];
  finalizers?: readonly string[];
  managedFields?: readonly unknown[];
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** Any object the apiserver returns: typed metadata, everything else left to the caller's type. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta;
}

/** metav1.ListMeta. `continue` is set while more pages remain (API conventions, "Retrieving large results"). */
export interface ListMeta {
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface KubeList<T> {
  apiVersion?: string;
  kind?: string;
  metadata: ListMeta;
  items: T[];
}

/** metav1.Status: the body of every error response and of in-stream watch ERROR events. */
export interface Status {
  apiVersion?: string;
  kind?: "Status";
  status?: "Success" | "Failure";
  message?: string;
  /** machine-readable reason, e.g. "NotFound", "AlreadyExists", "Conflict", "Expired", "Gone". */
  reason?: string;
  code?: number;
  details?: unknown;
}

/** One line of a watch stream, as the apiserver sends it (watch.Event). */
export type RawWatchEvent<T> =
  | { type: "ADDED" | "MODIFIED" | "DELETED"; object: T }
  | { type: "BOOKMARK"; object: KubeObject }
  | { type: "ERROR"; object: Status };
