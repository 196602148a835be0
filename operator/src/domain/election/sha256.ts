/**
 * SHA-256 (FIPS 180-4 §6.2), pure TypeScript. The Layer 2 election orders nodes by
 * sha256(node + "#" + ip) exactly as MetalLB does, so that every speaker reaches the same owner
 * without talking; domain/ may not import node:crypto or Bun's hasher, and a hand-written hash
 * of ~60 lines, pinned by the standard's test vectors, is smaller than a dependency.
 */

/** FIPS 180-4 §4.2.2: the first 32 bits of the fractional parts of the cube roots of the first 64 primes. */
const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
  0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
  0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
  0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
  0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
  0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
  0xc67178f2,
]);

/** FIPS 180-4 §5.3.3: the initial hash value. */
const H0 = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

const rotr = (x: number, n: number) => (x >>> n) | (x << (32 - n));

// Scratch space reused across calls: the election hashes (nodes x IPs) short strings on every
// reconcile, and allocation dominated the cost. Single-threaded and never exposed, so still pure.
const W = new Uint32Array(64);
const STATE = new Uint32Array(8);
let scratch = new Uint8Array(128);

/** Runs the compression function (§6.2.2) over `blocks` 64-byte blocks of `data` into STATE. */
function compress(data: Uint8Array, blocks: number): void {
  STATE.set(H0);
  for (let block = 0; block < blocks; block++) {
    const offset = block * 64;
    for (let t = 0; t < 16; t++) {
      const i = offset + t * 4;
      W[t] = (data[i]! << 24) | (data[i + 1]! << 16) | (data[i + 2]! << 8) | data[i + 3]!;
    }
    for (let t = 16; t < 64; t++) {
      const x = W[t - 15]!;
      const y = W[t - 2]!;
      const s0 = rotr(x, 7) ^ rotr(x, 18) ^ (x >>> 3);
      const s1 = rotr(y, 17) ^ rotr(y, 19) ^ (y >>> 10);
      W[t] = (W[t - 16]! + s0 + W[t - 7]! + s1) | 0;
    }
    let a = STATE[0]!;
    let b = STATE[1]!;
    let c = STATE[2]!;
    let d = STATE[3]!;
    let e = STATE[4]!;
    let f = STATE[5]!;
    let g = STATE[6]!;
    let h = STATE[7]!;
    for (let t = 0; t < 64; t++) {
      const S1 = rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25);
      const ch = (e & f) ^ (~e & g);
      const t1 = (h + S1 + ch + K[t]! + W[t]!) | 0;
      const S0 = rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22);
      const maj = (a & b) ^ (a & c) ^ (b & c);
      const t2 = (S0 + maj) | 0;
      h = g;
      g = f;
      f = e;
      e = (d + t1) | 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) | 0;
    }
    STATE[0] = STATE[0]! + a;
    STATE[1] = STATE[1]! + b;
    STATE[2] = STATE[2]! + c;
    STATE[3] = STATE[3]! + d;
    STATE[4] = STATE[4]! + e;
    STATE[5] = STATE[5]! + f;
    STATE[6] = STATE[6]! + g;
    STATE[7] = STATE[7]! + h;
  }
}

/**
 * Pads (§5.1.1: a 1 bit, zeros, the length in bits as a 64-bit big-endian number) the first
 * `length` bytes of `scratch` in place and hashes them into STATE.
 */
function digestScratch(length: number): void {
  const blocks = Math.ceil((length + 9) / 64);
  const end = blocks * 64;
  scratch.fill(0, length, end);
  scratch[length] = 0x80;
  const bits = length * 8;
  const high = Math.floor(bits / 0x100000000);
  const low = bits >>> 0;
  scratch[end - 8] = high >>> 24;
  scratch[end - 7] = (high >>> 16) & 255;
  scratch[end - 6] = (high >>> 8) & 255;
  scratch[end - 5] = high & 255;
  scratch[end - 4] = low >>> 24;
  scratch[end - 3] = (low >>> 16) & 255;
  scratch[end - 2] = (low >>> 8) & 255;
  scratch[end - 1] = low & 255;
  compress(scratch, blocks);
}

function ensureScratch(length: number): void {
  const needed = (Math.ceil((length + 9) / 64) + 1) * 64;
  if (scratch.length < needed) scratch = new Uint8Array(needed);
}

/** The SHA-256 digest (32 bytes) of a message. */
export function sha256(message: Uint8Array): Uint8Array {
  ensureScratch(message.length);
  scratch.set(message);
  digestScratch(message.length);
  const digest = new Uint8Array(32);
  for (let i = 0; i < 8; i++) {
    const word = STATE[i]!;
    digest[i * 4] = word >>> 24;
    digest[i * 4 + 1] = (word >>> 16) & 255;
    digest[i * 4 + 2] = (word >>> 8) & 255;
    digest[i * 4 + 3] = word & 255;
  }
  return digest;
}

/** Writes the UTF-8 bytes of `text` into `scratch` (grown as needed); returns the byte count. */
function encodeIntoScratch(text: string): number {
  ensureScratch(text.length * 4);
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      scratch[n++] = c;
      continue;
    }
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low < 0xe000) {
        c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
        i++;
      }
    }
    if (c < 0x800) {
      scratch[n++] = 0xc0 | (c >> 6);
      scratch[n++] = 0x80 | (c & 63);
    } else if (c < 0x10000) {
      scratch[n++] = 0xe0 | (c >> 12);
      scratch[n++] = 0x80 | ((c >> 6) & 63);
      scratch[n++] = 0x80 | (c & 63);
    } else {
      scratch[n++] = 0xf0 | (c >> 18);
      scratch[n++] = 0x80 | ((c >> 12) & 63);
      scratch[n++] = 0x80 | ((c >> 6) & 63);
      scratch[n++] = 0x80 | (c & 63);
    }
  }
  return n;
}

/**
 * The SHA-256 of a string's UTF-8 bytes as eight big-endian 32-bit words, written to
 * `out[offset..offset+8)`. Allocates nothing: the election hashes every node for every Service
 * on each full reconcile, and a hex string per hash (a rope of 32 pieces) was most of that
 * reconcile's garbage (140 strings per Service at 10k), scattering what the speaker keeps over
 * half-empty heap blocks. Comparing the words in order, unsigned, compares the digests byte by
 * byte, as Go's bytes.Compare does.
 */
export function sha256Into(text: string, out: Uint32Array, offset: number): void {
  digestScratch(encodeIntoScratch(text));
  out.set(STATE, offset);
}

/** UTF-8 bytes of a string (Go hashes a string's bytes, which are UTF-8). */
export function utf8(text: string): Uint8Array {
  return scratch.slice(0, encodeIntoScratch(text));
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/**
 * Lower-case hex of the SHA-256 of a string's UTF-8 bytes. Comparing two of these strings
 * compares the digests byte by byte (bytes.Compare), since hex digits sort like their values.
 */
export function sha256Hex(text: string): string {
  digestScratch(encodeIntoScratch(text));
  let hex = "";
  for (let i = 0; i < 8; i++) {
    const word = STATE[i]!;
    hex += HEX[word >>> 24]! + HEX[(word >>> 16) & 255]! + HEX[(word >>> 8) & 255]! + HEX[word & 255]!;
  }
  return hex;
}
