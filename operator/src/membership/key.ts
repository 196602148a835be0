/**
 * The heartbeat key, derived from the `memberlist` Secret's `secretkey` value.
 *
 * HKDF-SHA-256 (RFC 5869) with a fixed salt and an info string naming the purpose and version, so
 * the same secret never yields the same key bytes for another use (MetalLB itself uses
 * SHA-256(secret) as memberlist's AES key; ours differs on purpose, being an HMAC key for another
 * protocol). The secret is used as given: the bytes of the mounted file, whatever its encoding.
 */
import { hkdfSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";

declare const beatKeyBrand: unique symbol;
/** 32 bytes for HMAC-SHA-256, only obtainable from beatKeyFromSecret. */
export type BeatKey = Uint8Array & { readonly [beatKeyBrand]: true };

const SALT = "metalbun membership salt v1";
const INFO = "metalbun heartbeat hmac-sha256 v1";

/** Secrets shorter than this still work but are worth a warning. */
export const RECOMMENDED_SECRET_BYTES = 16;

/** The HMAC key for heartbeats; throws on an empty secret (that is a configuration error, not "no key"). */
export function beatKeyFromSecret(secret: Uint8Array): BeatKey {
  if (secret.length === 0) throw new Error("membership: the secret key is empty");
  return new Uint8Array(hkdfSync("sha256", secret, SALT, INFO, 32)) as BeatKey;
}

/**
 * The secret as MetalLB's speaker reads it: the file `secretkey` in the directory mounted from the
 * `memberlist` Secret (--ml-secret-key-path). Undefined when the directory or file does not exist
 * (unauthenticated mode); trailing newlines are kept, as MetalLB keeps them.
 */
export function readMembershipSecret(dir: string | undefined): Uint8Array | undefined {
  if (dir === undefined || dir === "") return undefined;
  try {
    return new Uint8Array(readFileSync(join(dir, "secretkey")));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}
