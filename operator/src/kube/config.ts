import { join } from "node:path";
import type { Connection } from "./connection.ts";
import { KubeConfigError } from "./errors.ts";
import {
  type Env,
  inClusterConnection,
  isInCluster,
  SERVICEACCOUNT_DIR,
  SERVICEACCOUNT_DIR_ENV,
  serviceAccountNamespace,
} from "./in-cluster.ts";
import { kubeconfigConnection } from "./kubeconfig.ts";

/** MetalLB's default install namespace, used when nothing else names one. */
export const DEFAULT_NAMESPACE = "metallb-system";

export interface ResolveOptions {
  /** Defaults to `process.env`. */
  env?: Env;
  /** A `--kubeconfig` flag; wins over $KUBECONFIG. */
  kubeconfig?: string;
  /** Directory holding `token`, `ca.crt`, `namespace`; see {@link SERVICEACCOUNT_DIR_ENV}. */
  serviceAccountDir?: string;
  /** A `--context` flag: overrides the kubeconfig's current-context. */
  context?: string;
  /**
   * Out of a cluster with no kubeconfig named, use `~/.kube/config` as kubectl does (the CLI on a
   * laptop). The operator leaves it off: a pod should never pick up a stray home directory file.
   */
  homeKubeconfig?: boolean;
}

/**
 * Finds the apiserver the way the issue asks: a kubeconfig when one is named (flag or $KUBECONFIG,
 * as kubectl would), else in-cluster settings.
 *
 * The operator namespace: $METALLB_NAMESPACE, else the pod's ServiceAccount namespace file, else
 * `metallb-system`. (Deliberately the explicit variable first: MetalLB's manifests set it from the
 * downward API, so in a pod both agree, and out of a cluster an explicit setting should never lose
 * to a stray file.)
 */
export async function resolveConnection(options: ResolveOptions = {}): Promise<Connection> {
  const env = options.env ?? process.env;
  const serviceAccountDir = options.serviceAccountDir ?? env[SERVICEACCOUNT_DIR_ENV] ?? SERVICEACCOUNT_DIR;
  const inCluster = isInCluster(env);
  const namespace =
    env.METALLB_NAMESPACE ||
    (inCluster ? await serviceAccountNamespace(serviceAccountDir) : undefined) ||
    DEFAULT_NAMESPACE;

  const home = options.homeKubeconfig && env.HOME ? join(env.HOME, ".kube", "config") : undefined;
  const kubeconfig = options.kubeconfig || env.KUBECONFIG || (inCluster ? undefined : home);
  if (kubeconfig) return kubeconfigConnection({ path: kubeconfig, namespace, context: options.context });
  if (inCluster) return inClusterConnection({ env, serviceAccountDir, namespace });
  throw new KubeConfigError(
    "no apiserver configured: not in a cluster (KUBERNETES_SERVICE_HOST unset) and KUBECONFIG unset",
  );
}
