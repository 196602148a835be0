/**
 * BGP community values as MetalLB writes them: `A:B` (RFC 1997, two 16-bit halves) or
 * `large:A:B:C` (RFC 8092, three 32-bit parts). Anything with another number of `:` parts is not
 * a community at all, so it may be the name of an alias defined in a Community object.
 */
export type BGPCommunity =
  | { readonly kind: "standard"; readonly high: number; readonly low: number }
  | { readonly kind: "large"; readonly global: number; readonly local1: number; readonly local2: number };

export type CommunityParse =
  | { readonly ok: true; readonly value: BGPCommunity }
  /** "invalidValue": shaped like a community but a part is wrong; "notACommunity": maybe an alias. */
  | { readonly ok: false; readonly reason: "invalidValue" | "notACommunity"; readonly error: string };

const LARGE_MARKER = "large";

function unsigned(text: string, bits: 16 | 32): number | undefined {
  if (!/^[0-9]+$/.test(text)) return undefined;
  const value = Number(text);
  return value < 2 ** bits ? value : undefined;
}

export function parseCommunity(text: string): CommunityParse {
  const parts = text.split(":");
  if (parts.length === 2) {
    const [high, low] = parts.map((p) => unsigned(p, 16));
    if (high === undefined || low === undefined) {
      const bad = parts.find((p) => unsigned(p, 16) === undefined);
      return {
        ok: false,
        reason: "invalidValue",
        error: `invalid community value: invalid section "${bad}" of community "${text}"`,
      };
    }
    return { ok: true, value: { kind: "standard", high, low } };
  }
  if (parts.length === 4) {
    if (parts[0] !== LARGE_MARKER) {
      return {
        ok: false,
        reason: "invalidValue",
        error: `invalid community value: expected community to be of format ${LARGE_MARKER}:<uint32>:<uint32>:<uint32> but got "${text}" instead`,
      };
    }
    const values = parts.slice(1).map((p) => unsigned(p, 32));
    const [global, local1, local2] = values;
    if (global === undefined || local1 === undefined || local2 === undefined) {
      const bad = parts.slice(1).find((p) => unsigned(p, 32) === undefined);
      return {
        ok: false,
        reason: "invalidValue",
        error: `invalid community value: invalid section "${bad}" of community "${text}"`,
      };
    }
    return { ok: true, value: { kind: "large", global, local1, local2 } };
  }
  return { ok: false, reason: "notACommunity", error: `invalid community format: ${text}` };
}

export function formatCommunity(c: BGPCommunity): string {
  return c.kind === "standard" ? `${c.high}:${c.low}` : `${LARGE_MARKER}:${c.global}:${c.local1}:${c.local2}`;
}

/** Orders like MetalLB: a standard community compares as the large community (A<<16|B):0:0. */
export function compareCommunities(a: BGPCommunity, b: BGPCommunity): number {
  const key = (c: BGPCommunity): [number, number, number] =>
    c.kind === "standard" ? [c.high * 65536 + c.low, 0, 0] : [c.global, c.local1, c.local2];
  const [ka, kb] = [key(a), key(b)];
  for (let i = 0; i < 3; i++) {
    const d = (ka[i] ?? 0) - (kb[i] ?? 0);
    if (d !== 0) return d;
  }
  return a.kind === b.kind ? 0 : a.kind === "standard" ? -1 : 1;
}
