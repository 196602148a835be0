/**
 * kubeconfig `exec` credential plugins, to client-go's contract (KEP-541,
 * client.authentication.k8s.io v1 and v1beta1): the user's command (a cloud login, an OIDC
 * helper) prints an ExecCredential whose status carries a bearer token and/or a client
 * certificate. It is run with the kubeconfig's args and env plus KUBERNETES_EXEC_INFO (the request,
 * `spec.interactive`, and the cluster when `provideClusterInfo`), its stderr goes to ours, its
 * stdin only when interactive. The credential is cached until its expirationTimestamp (no
 * timestamp: until the apiserver answers 401).
 */
import { isAbsolute, join } from "node:path";
import { KubeConfigError } from "./errors.ts";
import type { TokenSource } from "./token.ts";

export const EXEC_API_VERSIONS = ["client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"];

export interface ExecConfig {
  readonly apiVersion?: string;
  readonly command?: string;
  readonly args?: readonly string[];
  readonly env?: readonly { readonly name: string; readonly value: string }[] | null;
  readonly installHint?: string;
  readonly provideClusterInfo?: boolean;
  readonly interactiveMode?: "Never" | "IfAvailable" | "Always";
}

/** The cluster as an ExecCredential's spec.cluster carries it (provideClusterInfo). */
export interface ExecClusterInfo {
  readonly server: string;
  readonly "certificate-authority-data"?: string;
  readonly "insecure-skip-tls-verify"?: boolean;
  readonly "tls-server-name"?: string;
  readonly "proxy-url"?: string;
  readonly config?: unknown;
}

export interface ExecCredentialStatus {
  readonly token?: string;
  readonly clientCertificateData?: string;
  readonly clientKeyData?: string;
  readonly expirationTimestamp?: string;
}

export interface ExecOptions {
  /** The kubeconfig file's directory: a relative command path with a slash is resolved there. */
  readonly baseDir: string;
  readonly user: string;
  readonly cluster?: ExecClusterInfo;
  /** Whether our stdin is a terminal (injected by tests). */
  readonly stdinIsTTY?: boolean;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly now?: () => number;
}

/** Checks the configuration; returns whether the plugin may talk to the user. */
function interactiveFor(exec: ExecConfig, options: ExecOptions): boolean {
  const where = `kubeconfig user "${options.user}": exec`;
  if (!exec.command) throw new KubeConfigError(`${where}: no command`);
  if (!exec.apiVersion || !EXEC_API_VERSIONS.includes(exec.apiVersion))
    throw new KubeConfigError(
      `${where}: apiVersion "${exec.apiVersion ?? ""}" is not one of ${EXEC_API_VERSIONS.join(", ")}`,
    );
  // v1 makes the mode explicit; v1beta1 defaulted to IfAvailable.
  const mode = exec.interactiveMode ?? (exec.apiVersion.endsWith("/v1beta1") ? "IfAvailable" : undefined);
  if (mode === undefined)
    throw new KubeConfigError(`${where}: interactiveMode must be set (Never, IfAvailable or Always)`);
  const tty = options.stdinIsTTY ?? process.stdin.isTTY === true;
  if (mode === "Always" && !tty)
    throw new KubeConfigError(`${where}: interactiveMode Always, but standard input is not a terminal`);
  return mode !== "Never" && tty;
}

function commandPath(command: string, baseDir: string): string {
  // client-go: a bare name is looked up in PATH, a relative path is relative to the kubeconfig.
  return command.includes("/") && !isAbsolute(command) ? join(baseDir, command) : command;
}

/** Runs the plugin once and returns its credential. */
export async function runExecPlugin(exec: ExecConfig, options: ExecOptions): Promise<ExecCredentialStatus> {
  const interactive = interactiveFor(exec, options);
  const request = {
    apiVersion: exec.apiVersion,
    kind: "ExecCredential",
    spec: {
      interactive,
      ...(exec.provideClusterInfo && options.cluster !== undefined && { cluster: options.cluster }),
    },
  };
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(options.env ?? process.env)) if (v !== undefined) env[k] = v;
  for (const e of exec.env ?? []) env[e.name] = e.value;
  env.KUBERNETES_EXEC_INFO = JSON.stringify(request);
  const command = commandPath(exec.command!, options.baseDir);
  let child: ReturnType<typeof Bun.spawn>;
  try {
    child = Bun.spawn([command, ...(exec.args ?? [])], {
      env,
      stdin: interactive ? "inherit" : "ignore",
      stdout: "pipe",
      stderr: "inherit",
    });
  } catch (error) {
    const hint = exec.installHint ? `\n${exec.installHint}` : "";
    throw new KubeConfigError(`exec plugin ${command}: ${(error as Error).message}${hint}`);
  }
  const [out, code] = await Promise.all([new Response(child.stdout as ReadableStream).text(), child.exited]);
  if (code !== 0) throw new KubeConfigError(`exec plugin ${command} exited with status ${code}`);
  let credential: { apiVersion?: string; kind?: string; status?: ExecCredentialStatus };
  try {
    credential = JSON.parse(out);
  } catch {
    throw new KubeConfigError(`exec plugin ${command}: its output is not an ExecCredential (not JSON)`);
  }
  if (credential.kind !== "ExecCredential" || credential.apiVersion !== exec.apiVersion)
    throw new KubeConfigError(
      `exec plugin ${command}: wrong output: want kind ExecCredential, apiVersion ${exec.apiVersion}; got ${credential.kind} ${credential.apiVersion}`,
    );
  const status = credential.status ?? {};
  if (!status.token && !(status.clientCertificateData && status.clientKeyData))
    throw new KubeConfigError(
      `exec plugin ${command}: the ExecCredential has neither a token nor a client certificate`,
    );
  if ((status.clientCertificateData === undefined) !== (status.clientKeyData === undefined))
    throw new KubeConfigError(`exec plugin ${command}: a client certificate needs its key and vice versa`);
  return status;
}

/**
 * A token from an exec plugin, re-run when the credential expires or the apiserver refuses it.
 * `first` is the credential already obtained at connection time (not run twice).
 */
export function execToken(exec: ExecConfig, options: ExecOptions, first?: ExecCredentialStatus): TokenSource {
  const now = options.now ?? Date.now;
  let cached = first;
  let pending: Promise<ExecCredentialStatus> | undefined;
  const expired = (c: ExecCredentialStatus) =>
    c.expirationTimestamp !== undefined && Date.parse(c.expirationTimestamp) <= now();
  return {
    async current() {
      if (cached === undefined || expired(cached)) {
        // One run for concurrent callers (explain lists a dozen kinds at once).
        pending ??= runExecPlugin(exec, options).finally(() => {
          pending = undefined;
        });
        cached = await pending;
      }
      if (!cached.token)
        throw new KubeConfigError(`exec plugin ${exec.command}: the ExecCredential has no token`);
      return cached.token;
    },
    invalidate() {
      cached = undefined;
    },
  };
}
