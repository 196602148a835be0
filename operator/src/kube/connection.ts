import type { TokenSource } from "./token.ts";

/** TLS material as PEM text, ready for Bun's `fetch(url, { tls })`. */
export interface TlsMaterial {
  /** CA bundle that signs the apiserver's serving certificate; the system store when absent. */
  readonly ca?: string;
  /** Client certificate and key (kubeconfig `client-certificate(-data)` / `client-key(-data)`). */
  readonly cert?: string;
  readonly key?: string;
  /** false only for kubeconfig `insecure-skip-tls-verify: true`. */
  readonly rejectUnauthorized: boolean;
  /** kubeconfig `tls-server-name`: the name to verify instead of the URL's host. */
  readonly serverName?: string;
}

/** Everything needed to reach and authenticate to one apiserver, however it was found. */
export interface Connection {
  /** Base URL without a trailing slash, e.g. `https://10.96.0.1:443` or `https://[fd00::1]:443`. */
  readonly server: string;
  readonly tls: TlsMaterial;
  /** Bearer token, when the identity is a token rather than (or besides) a client certificate. */
  readonly token?: TokenSource;
  /** kubeconfig `proxy-url`; otherwise Bun's fetch honours HTTPS_PROXY/NO_PROXY like client-go. */
  readonly proxy?: string;
  /** The namespace the operator lives in (its own Secrets, ConfigMaps, status objects). */
  readonly namespace: string;
  /** The kubeconfig context's namespace, when it names one (kubectl's default for -n). */
  readonly contextNamespace?: string;
  /** How the settings were found, for the startup log line. */
  readonly source: "in-cluster" | "kubeconfig";
}
