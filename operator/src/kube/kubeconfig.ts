import { readFile } from "node:fs/promises";
import { delimiter, dirname, isAbsolute, join } from "node:path";
import { parse } from "yaml";
import type { Connection } from "./connection.ts";
import { KubeConfigError } from "./errors.ts";
import {
  type ExecClusterInfo,
  type ExecConfig,
  type ExecCredentialStatus,
  execToken,
  runExecPlugin,
} from "./exec-credential.ts";
import { fileToken, staticToken, type TokenSource } from "./token.ts";

/*
 * Why our own reader instead of client-node's KubeConfig: client-node reads `tokenFile` once at load
 * time (a rotated token would then be rejected forever) and its auth plugins assume node-fetch. The
 * kubeconfig format is small; we read the fields below and refuse the rest loudly. Exec credential
 * plugins (what cloud logins and OIDC helpers use on laptops) run to client-go's contract
 * (exec-credential.ts); the long-removed auth-provider and basic auth are refused.
 * Field names follow k8s.io/client-go/tools/clientcmd/api/v1 (the kubeconfig wire format).
 */

interface NamedCluster {
  server?: string;
  "certificate-authority"?: string;
  "certificate-authority-data"?: string;
  "insecure-skip-tls-verify"?: boolean;
  "tls-server-name"?: string;
  "proxy-url"?: string;
  extensions?: readonly { name?: string; extension?: unknown }[];
}

interface NamedUser {
  "client-certificate"?: string;
  "client-certificate-data"?: string;
  "client-key"?: string;
  "client-key-data"?: string;
  token?: string;
  tokenFile?: string;
  exec?: ExecConfig;
  "auth-provider"?: unknown;
  username?: string;
}

interface NamedContext {
  cluster?: string;
  user?: string;
  namespace?: string;
}

/** One kubeconfig file, with relative paths already resolved against its directory (as kubectl does). */
interface KubeconfigFile {
  currentContext?: string;
  clusters: Map<string, NamedCluster>;
  users: Map<string, NamedUser>;
  contexts: Map<string, NamedContext>;
}

const pathFieldsOfCluster = ["certificate-authority"] as const;
const pathFieldsOfUser = ["client-certificate", "client-key", "tokenFile"] as const;

function namedEntries<T>(list: unknown, field: string, file: string): Map<string, T> {
  const entries = new Map<string, T>();
  if (list == null) return entries;
  if (!Array.isArray(list)) throw new KubeConfigError(`${file}: "${field}s" is not a list`);
  for (const item of list) {
    const name = (item as { name?: unknown })?.name;
    if (typeof name !== "string") throw new KubeConfigError(`${file}: a "${field}s" entry has no name`);
    const body = (item as Record<string, unknown>)[field] ?? {};
    entries.set(name, { ...(body as T) });
  }
  return entries;
}

function resolvePaths<T extends object>(entry: T, fields: readonly string[], baseDir: string): void {
  const record = entry as Record<string, unknown>;
  for (const field of fields) {
    const value = record[field];
    if (typeof value === "string" && value !== "" && !isAbsolute(value)) record[field] = join(baseDir, value);
  }
}

/** Parses one kubeconfig document; `path` is used for relative paths and error messages. */
export function parseKubeconfig(text: string, path: string): KubeconfigFile {
  let doc: Record<string, unknown>;
  try {
    doc = (parse(text) ?? {}) as Record<string, unknown>;
  } catch (error) {
    throw new KubeConfigError(`${path}: not YAML: ${(error as Error).message}`);
  }
  const baseDir = dirname(path);
  const clusters = namedEntries<NamedCluster>(doc.clusters, "cluster", path);
  const users = namedEntries<NamedUser>(doc.users, "user", path);
  for (const cluster of clusters.values()) resolvePaths(cluster, pathFieldsOfCluster, baseDir);
  for (const user of users.values()) {
    resolvePaths(user, pathFieldsOfUser, baseDir);
    // client-go: an exec command with a slash but not absolute is relative to its kubeconfig.
    const command = user.exec?.command;
    if (typeof command === "string" && command.includes("/") && !isAbsolute(command))
      user.exec = { ...user.exec, command: join(baseDir, command) };
  }
  const currentContext = doc["current-context"];
  return {
    currentContext: typeof currentContext === "string" && currentContext !== "" ? currentContext : undefined,
    clusters,
    users,
    contexts: namedEntries<NamedContext>(doc.contexts, "context", path),
  };
}

/**
 * Merges files listed in KUBECONFIG the way kubectl does: the first file that defines a name (or
 * sets current-context) wins.
 */
function mergeKubeconfigs(files: readonly KubeconfigFile[]): KubeconfigFile {
  const merged: KubeconfigFile = { clusters: new Map(), users: new Map(), contexts: new Map() };
  for (const file of files) {
    merged.currentContext ??= file.currentContext;
    for (const kind of ["clusters", "users", "contexts"] as const) {
      const into = merged[kind] as Map<string, unknown>;
      for (const [name, value] of file[kind]) if (!into.has(name)) into.set(name, value);
    }
  }
  return merged;
}

async function pemFrom(data: string | undefined, file: string | undefined, what: string) {
  if (data) return Buffer.from(data, "base64").toString("utf8");
  if (file) {
    try {
      return await readFile(file, "utf8");
    } catch (error) {
      throw new KubeConfigError(`cannot read ${what} ${file}: ${(error as Error).message}`);
    }
  }
  return undefined;
}

export interface KubeconfigOptions {
  /** One path or several joined by the platform delimiter, like $KUBECONFIG. */
  path: string;
  /** Overrides current-context. */
  context?: string;
  /** Exec plugins: whether stdin is a terminal (tests); default: process.stdin.isTTY. */
  stdinIsTTY?: boolean;
  /** The operator namespace chosen by the caller. */
  namespace: string;
}

/** Connection settings of the current (or named) context of a kubeconfig. */
export async function kubeconfigConnection(options: KubeconfigOptions): Promise<Connection> {
  const paths = options.path.split(delimiter).filter((p) => p !== "");
  const files: KubeconfigFile[] = [];
  for (const path of paths) {
    let text: string;
    try {
      text = await readFile(path, "utf8");
    } catch (error) {
      // kubectl skips missing files in a KUBECONFIG list; a single missing file is an error.
      if (paths.length > 1 && (error as NodeJS.ErrnoException).code === "ENOENT") continue;
      throw new KubeConfigError(`cannot read kubeconfig ${path}: ${(error as Error).message}`);
    }
    files.push(parseKubeconfig(text, path));
  }
  const config = mergeKubeconfigs(files);
  const contextName = options.context ?? config.currentContext;
  if (!contextName) throw new KubeConfigError(`kubeconfig ${options.path}: no current-context`);
  const context = config.contexts.get(contextName);
  if (!context) throw new KubeConfigError(`kubeconfig ${options.path}: no context "${contextName}"`);
  const cluster = context.cluster !== undefined ? config.clusters.get(context.cluster) : undefined;
  if (!cluster?.server) {
    throw new KubeConfigError(
      `kubeconfig context "${contextName}": cluster "${context.cluster}" has no server`,
    );
  }
  const user: NamedUser = (context.user !== undefined ? config.users.get(context.user) : undefined) ?? {};
  if (user["auth-provider"]) {
    throw new KubeConfigError(
      `kubeconfig user "${context.user}": auth-provider plugins were removed from kubectl (1.26); use an exec plugin, a token, tokenFile or client certificate`,
    );
  }
  if (user.username) {
    throw new KubeConfigError(
      `kubeconfig user "${context.user}": basic auth was removed from Kubernetes in v1.19; use a token or client certificate`,
    );
  }

  const skipVerify = cluster["insecure-skip-tls-verify"] === true;
  const ca = skipVerify
    ? undefined
    : await pemFrom(
        cluster["certificate-authority-data"],
        cluster["certificate-authority"],
        "certificate-authority",
      );
  let cert = await pemFrom(user["client-certificate-data"], user["client-certificate"], "client-certificate");
  let key = await pemFrom(user["client-key-data"], user["client-key"], "client-key");
  if ((cert === undefined) !== (key === undefined)) {
    throw new KubeConfigError(
      `kubeconfig user "${context.user}": a client certificate needs its key and vice versa`,
    );
  }
  let token: TokenSource | undefined;
  // client-go: an inline token wins over tokenFile.
  if (user.token) token = staticToken(user.token);
  else if (user.tokenFile) {
    token = fileToken(user.tokenFile);
    await token.current();
  } else if (user.exec) {
    const execOptions = {
      baseDir: "",
      user: context.user ?? "",
      cluster: clusterInfo(cluster, ca),
      ...(options.stdinIsTTY !== undefined && { stdinIsTTY: options.stdinIsTTY }),
    };
    const first: ExecCredentialStatus = await runExecPlugin(user.exec, execOptions);
    if (first.clientCertificateData !== undefined && cert === undefined) {
      // A plugin's certificate is read once: TLS settings are fixed per connection.
      cert = first.clientCertificateData;
      key = first.clientKeyData;
    }
    if (first.token) token = execToken(user.exec, execOptions, first);
  }

  return {
    server: cluster.server.replace(/\/+$/, ""),
    tls: {
      ...(ca !== undefined && { ca }),
      ...(cert !== undefined && { cert }),
      ...(key !== undefined && { key }),
      rejectUnauthorized: !skipVerify,
      ...(cluster["tls-server-name"] && { serverName: cluster["tls-server-name"] }),
    },
    ...(token && { token }),
    ...(cluster["proxy-url"] && { proxy: cluster["proxy-url"] }),
    namespace: options.namespace,
    ...(context.namespace && { contextNamespace: context.namespace }),
    source: "kubeconfig",
  };
}

/** The cluster as an exec plugin is told about it (provideClusterInfo). */
function clusterInfo(cluster: NamedCluster, ca: string | undefined): ExecClusterInfo {
  const extension = cluster.extensions?.find(
    (e) => e.name === "client.authentication.k8s.io/exec",
  )?.extension;
  return {
    server: cluster.server ?? "",
    ...(ca !== undefined && { "certificate-authority-data": Buffer.from(ca).toString("base64") }),
    ...(cluster["insecure-skip-tls-verify"] && { "insecure-skip-tls-verify": true }),
    ...(cluster["tls-server-name"] && { "tls-server-name": cluster["tls-server-name"] }),
    ...(cluster["proxy-url"] && { "proxy-url": cluster["proxy-url"] }),
    ...(extension !== undefined && { config: extension }),
  };
}
