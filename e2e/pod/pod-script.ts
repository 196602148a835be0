/**
 * The shell prologue that turns a process into "a pod": run inside `unshare --mount --uts
 * --propagation private` (itself inside a node's network namespace), it places the ServiceAccount
 * files at the standard in-cluster path, sets the hostname, and execs the real command, which
 * keeps the pid.
 *
 * The standard path /var/run/secrets/kubernetes.io/serviceaccount usually does not exist on the
 * host, and a mount needs an existing mount point. Rather than create directories on the host, the
 * deepest existing ancestor (normally /run, since /var/run links to it) is covered by an overlay
 * whose upper layer is a tmpfs holding just the missing directories and the three files. The
 * overlay lives only in the private mount namespace; the host sees nothing. The ServiceAccount
 * directory is then made read-only, as the kubelet mounts it.
 *
 * Pure: builds text only.
 */

/** Where Kubernetes mounts a pod's ServiceAccount token, CA and namespace. */
export const SERVICE_ACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/** Environment variables the prologue reads (and unsets before exec). */
export const PROLOGUE_ENV = {
  stage: "METALBUN_POD_STAGE",
  overlayTarget: "METALBUN_POD_OVERLAY_TARGET",
  relativeDir: "METALBUN_POD_SA_RELDIR",
  token: "METALBUN_POD_SA_TOKEN",
  caFile: "METALBUN_POD_SA_CA_FILE",
  namespace: "METALBUN_POD_SA_NAMESPACE",
  hostname: "METALBUN_POD_HOSTNAME",
} as const;

/**
 * Script for `sh -c <script> pod <argv...>`. Inputs come through the PROLOGUE_ENV variables, so no
 * value is ever spliced into shell text (a token or path cannot break the quoting).
 */
export function podPrologue(): string {
  const e = PROLOGUE_ENV;
  return [
    "set -eu",
    `stage="$${e.stage}"; target="$${e.overlayTarget}"; rel="$${e.relativeDir}"`,
    // A private tmpfs over our own (empty) staging directory: upper and work dirs of the overlay.
    'mount -t tmpfs -o mode=0755,size=4m metalbun-pod "$stage"',
    'mkdir -p "$stage/upper/$rel" "$stage/work"',
    `printf '%s' "$${e.token}" > "$stage/upper/$rel/token"`,
    `cat "$${e.caFile}" > "$stage/upper/$rel/ca.crt"`,
    `printf '%s' "$${e.namespace}" > "$stage/upper/$rel/namespace"`,
    'chmod 0644 "$stage/upper/$rel/token" "$stage/upper/$rel/ca.crt" "$stage/upper/$rel/namespace"',
    'mount -t overlay metalbun-pod -o "lowerdir=$target,upperdir=$stage/upper,workdir=$stage/work" "$target"',
    // Read-only like the kubelet's projected volume.
    'mount --bind "$target/$rel" "$target/$rel"',
    'mount -o remount,bind,ro "$target/$rel"',
    // hostNetwork pods see the node's hostname; the UTS namespace is ours alone.
    `printf '%s' "$${e.hostname}" > /proc/sys/kernel/hostname`,
    `unset ${Object.values(e).join(" ")} stage target rel`,
    'exec "$@"',
  ].join("\n");
}

export interface OverlayPlan {
  /** Existing directory the overlay covers. */
  readonly target: string;
  /** Path of the ServiceAccount directory relative to target ("." when it already exists). */
  readonly relativeDir: string;
}

/**
 * Given the real path of the deepest existing ancestor of SERVICE_ACCOUNT_DIR and the components
 * still missing below it, where the overlay goes.
 */
export function overlayPlan(existingAncestor: string, missing: readonly string[]): OverlayPlan {
  if (existingAncestor === "/") throw new Error("refusing to overlay the root directory");
  return { target: existingAncestor, relativeDir: missing.length === 0 ? "." : missing.join("/") };
}
