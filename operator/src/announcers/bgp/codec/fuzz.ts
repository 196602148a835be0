/**
 * A seeded fuzzer for the codec: valid messages of every type, mutated (bit flips, truncation,
 * length-field edits, splices) or replaced by random bytes, through the framer in random chunks
 * and through decodeMessage. Shared by the unit test and `e2e/bench/bgp-fuzz.ts`.
 */
import { NO_CAPABILITIES } from "./capabilities.ts";
import { encodeShutdownCommunication } from "./cease.ts";
import { MessageFramer } from "./framer.ts";
import { decodeMessage } from "./index.ts";
import { encodeKeepalive } from "./keepalive.ts";
import { encodeNotification } from "./notification.ts";
import { encodeOpen } from "./open.ts";
import { encodeRouteRefresh } from "./route-refresh.ts";
import type { BgpError, Decoded, SessionCodecContext } from "./types.ts";
import { encodeEndOfRib, encodeUpdates, encodeWithdrawals } from "./update-encode.ts";

export interface FuzzReport {
  readonly messages: number;
  /** Inputs on which the framer or decodeMessage threw: must be 0. */
  readonly exceptions: number;
  /** Failures that were not a BgpError with a code in 1..7: must be 0. */
  readonly badErrors: number;
  readonly decoded: number;
  /** Failures per "code/subcode". */
  readonly errors: Readonly<Record<string, number>>;
  readonly firstProblem: string | undefined;
}

/** mulberry32: small, fast, and the same sequence for the same seed everywhere. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CONTEXTS: readonly SessionCodecContext[] = [
  { fourOctetASN: true, extendedMessage: false, families: ["ipv4-unicast", "ipv6-unicast"] },
  { fourOctetASN: false, extendedMessage: false, families: ["ipv4-unicast"] },
  { fourOctetASN: true, extendedMessage: true, families: ["ipv6-unicast"], internal: false },
];

function unwrap(result: { ok: true; value: Uint8Array } | { ok: false }): Uint8Array {
  return result.ok ? result.value : new Uint8Array(0);
}

/** Valid messages of every type, the seeds of every mutation. */
export function fuzzCorpus(): Uint8Array[] {
  const ctx = CONTEXTS[0]!;
  const two = CONTEXTS[1]!;
  const v4 = Array.from({ length: 40 }, (_, i) => ({
    family: "ipv4" as const,
    address: `10.1.${i}.0`,
    length: 24 + (i % 9),
  }));
  const v6 = Array.from({ length: 20 }, (_, i) => ({
    family: "ipv6" as const,
    address: `2001:db8:${i + 1}::`,
    length: 48 + i * 4,
  }));
  const attributes = {
    origin: "igp" as const,
    asPath: [4200000000, 64512],
    nextHops: ["10.0.0.11"],
    localPref: 100,
    communities: [0xffffff01, 1],
    largeCommunities: [{ global: 1, local1: 2, local2: 3 }],
  };
  const open = (fourOctetASN: number | undefined) =>
    unwrap(
      encodeOpen({
        myAS: 23456,
        holdTimeS: 90,
        bgpIdentifier: "10.0.0.11",
        capabilities: {
          ...NO_CAPABILITIES,
          families: ["ipv4-unicast", "ipv6-unicast"],
          routeRefresh: true,
          enhancedRouteRefresh: true,
          extendedMessage: true,
          fourOctetASN,
          gracefulRestart: {
            restarting: true,
            notification: true,
            restartTimeS: 120,
            families: [{ family: "ipv4-unicast", forwardingPreserved: true }],
          },
          unknown: [{ code: 73, value: Uint8Array.of(2, 114, 49, 0) }],
        },
      }),
    );
  return [
    open(4200000000),
    open(undefined),
    ...unwrap2(encodeUpdates(ctx, "ipv4-unicast", attributes, v4)),
    ...unwrap2(encodeUpdates(two, "ipv4-unicast", attributes, v4.slice(0, 3))),
    ...unwrap2(encodeUpdates(ctx, "ipv6-unicast", { ...attributes, nextHops: ["fd00::11", "fe80::1"] }, v6)),
    ...unwrap2(encodeWithdrawals(ctx, "ipv4-unicast", v4)),
    ...unwrap2(encodeWithdrawals(ctx, "ipv6-unicast", v6)),
    encodeEndOfRib("ipv4-unicast"),
    encodeEndOfRib("ipv6-unicast"),
    encodeKeepalive(),
    encodeNotification(6, 2, encodeShutdownCommunication("maintenance")),
    encodeNotification(3, 5, Uint8Array.of(0x40, 1, 2, 0, 0)),
    encodeRouteRefresh(1, 1),
    encodeRouteRefresh(2, 1, 1),
  ];
}

function unwrap2(result: { ok: true; value: Uint8Array[] } | { ok: false }): Uint8Array[] {
  return result.ok ? result.value : [];
}

/** One fuzz input from the corpus and the generator. */
function mutate(corpus: readonly Uint8Array[], next: () => number): Uint8Array {
  const pick = () => corpus[Math.floor(next() * corpus.length)]!;
  const int = (n: number) => Math.floor(next() * n);
  const kind = int(6);
  if (kind === 0) {
    // Random bytes behind a valid marker half the time, so the body parsers see them too.
    const bytes = new Uint8Array(int(120));
    for (let i = 0; i < bytes.length; i++) bytes[i] = int(256);
    if (next() < 0.5 && bytes.length >= 19) {
      bytes.fill(0xff, 0, 16);
      bytes[18] = 1 + int(5);
      fixLength(bytes);
    }
    return bytes;
  }
  let bytes = pick().slice();
  const edits = 1 + int(4);
  for (let e = 0; e < edits; e++) {
    if (bytes.length === 0) break;
    switch (kind) {
      case 1: // bit flips, mostly past the marker
        {
          const at = next() < 0.9 && bytes.length > 19 ? 19 + int(bytes.length - 19) : int(bytes.length);
          bytes[at]! ^= 1 << int(8);
        }
        break;
      case 2: // truncation
        bytes = bytes.subarray(0, int(bytes.length + 1));
        break;
      case 3: // a length field: a byte or u16 set to a boundary or random value
        {
          const at = 16 + int(Math.max(1, bytes.length - 16));
          const values = [0, 1, 2, 3, 4, 0x7f, 0x80, 0xff, int(256)];
          bytes[at] = values[int(values.length)]!;
          if (next() < 0.3 && at + 1 < bytes.length) bytes[at + 1] = int(256);
        }
        break;
      case 4: // splice: this message's head with another's tail
        {
          const other = pick();
          const head = bytes.subarray(0, int(bytes.length + 1));
          const tail = other.subarray(int(other.length + 1));
          const spliced = new Uint8Array(head.length + tail.length);
          spliced.set(head);
          spliced.set(tail, head.length);
          bytes = spliced;
        }
        break;
      default: // random byte overwrites
        bytes[int(bytes.length)] = int(256);
    }
  }
  // Keep the header consistent most of the time, so the mutation reaches the body parsers.
  if (next() < 0.7) fixLength(bytes);
  return bytes;
}

function fixLength(bytes: Uint8Array): void {
  if (bytes.length < 19) return;
  bytes[16] = (bytes.length >> 8) & 0xff;
  bytes[17] = bytes.length & 0xff;
}

/** Runs `count` fuzz inputs from `seed`; each goes through decodeMessage and through a framer. */
export function runFuzz(count: number, seed: number): FuzzReport {
  const next = random(seed);
  const corpus = fuzzCorpus();
  const errors: Record<string, number> = {};
  let exceptions = 0;
  let badErrors = 0;
  let decoded = 0;
  let firstProblem: string | undefined;
  const check = (result: Decoded<unknown>, input: Uint8Array) => {
    if (result.ok) {
      decoded++;
      return;
    }
    const error: BgpError = result.error;
    const key = `${error.code}/${error.subcode}`;
    errors[key] = (errors[key] ?? 0) + 1;
    if (
      !(error.code >= 1 && error.code <= 7) ||
      !(error.data instanceof Uint8Array) ||
      typeof error.reason !== "string"
    ) {
      badErrors++;
      firstProblem ??= `bad error ${JSON.stringify(error)} for ${hexOf(input)}`;
    }
  };
  for (let i = 0; i < count; i++) {
    const input = mutate(corpus, next);
    const ctx = CONTEXTS[i % CONTEXTS.length]!;
    try {
      check(decodeMessage(input, ctx), input);
      if (i % 4 === 0) {
        // Through the framer too, cut at a random point, after a valid KEEPALIVE.
        const framer = new MessageFramer(ctx.extendedMessage);
        framer.push(encodeKeepalive());
        const cut = Math.floor(next() * (input.length + 1));
        framer.push(input.subarray(0, cut));
        for (const framed of framer.drain()) if (framed.ok) decodeMessage(framed.value, ctx);
        framer.push(input.subarray(cut));
        for (const framed of framer.drain()) {
          if (!framed.ok) check(framed, input);
          else decodeMessage(framed.value, ctx);
        }
      }
    } catch (error) {
      exceptions++;
      firstProblem ??= `threw ${String(error)} for ${hexOf(input)}`;
    }
  }
  return { messages: count, exceptions, badErrors, decoded, errors, firstProblem };
}

function hexOf(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
