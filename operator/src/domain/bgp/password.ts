/**
 * The TCP MD5 key (RFC 2385) of a BGPPeer: `password` as written, or the `password` key of the
 * `kubernetes.io/basic-auth` Secret that `passwordSecret` names in the MetalLB namespace (MetalLB
 * looks the Secret up by name among its namespace's Secrets; a missing one is transient).
 */
import type { PeerConfig } from "../config/types.ts";
import { type BgpPeerProblem, peerProblem } from "./peer-problems.ts";

/** The parts of a core/v1 Secret read here (`data` values are base64, as the apiserver sends them). */
export interface BgpSecret {
  readonly type?: string;
  readonly data?: Readonly<Record<string, string>>;
}

/** Secrets of the MetalLB namespace by name. */
export type BgpSecrets = ReadonlyMap<string, BgpSecret>;

export const BASIC_AUTH_SECRET_TYPE = "kubernetes.io/basic-auth";
export const PASSWORD_KEY = "password";
/** Linux TCP_MD5SIG_MAXKEYLEN. */
export const MAX_MD5_KEY_BYTES = 80;

export type PasswordResult =
  | { readonly ok: true; readonly password: string | undefined }
  | { readonly ok: false; readonly problem: BgpPeerProblem };

const FIELD = "spec.passwordSecret";

/** Base64 (RFC 4648 §4, padded, as the apiserver writes `data`) of UTF-8 text, or undefined. */
function decodedText(base64: string): string | undefined {
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(base64)) return undefined;
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

function keyBytes(text: string): number {
  return new TextEncoder().encode(text).length;
}

export function passwordOf(
  peer: PeerConfig,
  secrets: BgpSecrets,
  metallbNamespace: string | undefined,
): PasswordResult {
  const fail = (code: BgpPeerProblem["code"], field: string, detail: string, transient: boolean) => ({
    ok: false as const,
    problem: peerProblem(peer.name, code, field, detail, { transient }),
  });
  const reference = peer.passwordSecret;
  let password = peer.password;
  if (reference?.name !== undefined) {
    const name = reference.name;
    if (
      metallbNamespace !== undefined &&
      reference.namespace !== undefined &&
      reference.namespace !== "" &&
      reference.namespace !== metallbNamespace
    ) {
      return fail(
        "passwordSecretWrongNamespace",
        `${FIELD}.namespace`,
        `secret "${reference.namespace}/${name}" must be in the MetalLB namespace "${metallbNamespace}"`,
        false,
      );
    }
    const secret = secrets.get(name);
    if (secret === undefined) {
      return fail("passwordSecretNotFound", FIELD, `secret "${name}" not found`, true);
    }
    if (secret.type !== BASIC_AUTH_SECRET_TYPE) {
      return fail(
        "passwordSecretWrongType",
        FIELD,
        `secret "${name}" has type "${secret.type ?? ""}", "${BASIC_AUTH_SECRET_TYPE}" is expected`,
        true,
      );
    }
    const encoded = secret.data?.[PASSWORD_KEY];
    if (typeof encoded !== "string") {
      return fail("passwordSecretMissingKey", FIELD, `secret "${name}" has no "${PASSWORD_KEY}" key`, true);
    }
    password = decodedText(encoded);
    if (password === undefined) {
      return fail(
        "passwordSecretUndecodable",
        FIELD,
        `secret "${name}" key "${PASSWORD_KEY}" is not base64 of UTF-8 text`,
        true,
      );
    }
  }
  if (password === "") password = undefined;
  if (password !== undefined && keyBytes(password) > MAX_MD5_KEY_BYTES) {
    const field = reference === undefined ? "spec.password" : FIELD;
    return fail(
      "passwordTooLong",
      field,
      `the TCP MD5 key is longer than ${MAX_MD5_KEY_BYTES} bytes`,
      reference !== undefined,
    );
  }
  return { ok: true, password };
}
