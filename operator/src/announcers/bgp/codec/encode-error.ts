/** Encoders that take configured values answer bad ones with these, never with a throw. */

export type EncodeErrorReason =
  | "invalidAsn"
  | "invalidHoldTime"
  | "invalidBgpIdentifier"
  | "invalidPrefix"
  | "invalidNextHop"
  | "invalidAttribute"
  | "attributesTooLarge";

export interface EncodeError {
  readonly reason: EncodeErrorReason;
  readonly detail: string;
}

export type Encoded<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: EncodeError };

export function encodeError(reason: EncodeErrorReason, detail: string): { ok: false; error: EncodeError } {
  return { ok: false, error: { reason, detail } };
}

export function isAsn(value: number): boolean {
  return Number.isInteger(value) && value >= 1 && value <= 0xffffffff;
}

export function isU32(value: number): boolean {
  return Number.isInteger(value) && value >= 0 && value <= 0xffffffff;
}

/** A community as a u32, or as the int32 that `(A << 16) | B` gives in JavaScript (same bits). */
export function isCommunity(value: number): boolean {
  return Number.isInteger(value) && value >= -0x80000000 && value <= 0xffffffff;
}
