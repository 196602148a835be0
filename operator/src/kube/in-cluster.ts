import { readFile } from "node:fs/promises";
import { join } from "node:path";
import type { Connection } from "./connection.ts";
import { KubeConfigError } from "./errors.ts";
import { fileToken } from "./token.ts";

/** Where the kubelet mounts a pod's ServiceAccount token, CA bundle and namespace. */
export const SERVICEACCOUNT_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

/**
 * Test-only override of {@link SERVICEACCOUNT_DIR}, so the in-cluster path can be exercised on a
 * host without writing to /var/run/secrets. A real pod never sets it.
 */
export const SERVICEACCOUNT_DIR_ENV = "METALBUN_SERVICEACCOUNT_DIR";

export type Env = Readonly<Record<string, string | undefined>>;

/** True when the kubelet's service environment variables say we run in a pod. */
export function isInCluster(env: Env): boolean {
  return Boolean(env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT);
}

/**
 * The apiserver URL from KUBERNETES_SERVICE_HOST/PORT. An IPv6 host needs brackets in a URL
 * (RFC 3986 §3.2.2); on a single-stack IPv6 cluster the variable holds a bare address like `fd00::1`.
 */
export function inClusterServer(host: string, port: string): string {
  const bracketed = host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
  return `https://${bracketed}:${port}`;
}

export interface InClusterOptions {
  env: Env;
  /** Defaults to $METALBUN_SERVICEACCOUNT_DIR, then {@link SERVICEACCOUNT_DIR}. */
  serviceAccountDir?: string;
  /** The operator namespace chosen by the caller; defaults to the mounted namespace file. */
  namespace?: string;
}

/** In-cluster settings: the pod's ServiceAccount token (re-read as it rotates), CA and namespace. */
export async function inClusterConnection(options: InClusterOptions): Promise<Connection> {
  const { env } = options;
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) {
    throw new KubeConfigError("not in a cluster: KUBERNETES_SERVICE_HOST/KUBERNETES_SERVICE_PORT are unset");
  }
  const dir = options.serviceAccountDir ?? env[SERVICEACCOUNT_DIR_ENV] ?? SERVICEACCOUNT_DIR;
  const ca = await readText(join(dir, "ca.crt"));
  const token = fileToken(join(dir, "token"));
  await token.current(); // fail at startup, not at the first request, when the token is missing
  const namespace = options.namespace ?? (await readText(join(dir, "namespace"))).trim();
  return {
    server: inClusterServer(host, port),
    tls: { ca, rejectUnauthorized: true },
    token,
    namespace,
    source: "in-cluster",
  };
}

/** The namespace file of the mounted ServiceAccount, or undefined when there is none. */
export async function serviceAccountNamespace(dir: string): Promise<string | undefined> {
  try {
    const text = (await readFile(join(dir, "namespace"), "utf8")).trim();
    return text || undefined;
  } catch {
    return undefined;
  }
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (error) {
    throw new KubeConfigError(`cannot read ${path}: ${(error as Error).message}`);
  }
}
