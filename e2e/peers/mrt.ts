/**
 * An MRT TABLE_DUMP_V2 file (RFC 6396 §4.3) of locally originated routes, the bulk input of
 * `gobgp mrt inject global`, which streams them into gobgpd's RIB over one gRPC call instead of
 * starting one `gobgp global rib add` process per prefix.
 *
 * The single peer of the PEER_INDEX_TABLE has AS 0 and address 0.0.0.0, which GoBGP takes as "no
 * source peer": the paths count as its own and are advertised with its AS prepended and, where the
 * next hop is unspecified (0.0.0.0 / ::), with its own address as next hop.
 */

const MRT_TABLE_DUMP_V2 = 13;
const PEER_INDEX_TABLE = 1;
const RIB_IPV4_UNICAST = 2;
const RIB_IPV6_UNICAST = 4;

const ATTR_ORIGIN = 1;
const ATTR_AS_PATH = 2;
const ATTR_NEXT_HOP = 3;
const ATTR_LOCAL_PREF = 5;
const ATTR_COMMUNITIES = 8;
const ATTR_MP_REACH_NLRI = 14;
const ATTR_LARGE_COMMUNITY = 32;

const FLAG_OPTIONAL = 0x80;
const FLAG_TRANSITIVE = 0x40;
const FLAG_EXTENDED_LENGTH = 0x10;

export interface OriginatedAttributes {
  /** Next hop; absent means the speaker's own address (next hop self). */
  readonly nexthop?: string;
  /** "ASN:value" standard communities (RFC 1997). */
  readonly communities?: readonly string[];
  /** "global:local1:local2" large communities (RFC 8092). */
  readonly largeCommunities?: readonly string[];
  readonly localPref?: number;
}

class Writer {
  private readonly chunks: number[] = [];
  u8(v: number): this {
    this.chunks.push(v & 0xff);
    return this;
  }
  u16(v: number): this {
    return this.u8(v >>> 8).u8(v);
  }
  u32(v: number): this {
    return this.u16(v >>> 16).u16(v & 0xffff);
  }
  bytes(b: ArrayLike<number>): this {
    for (let i = 0; i < b.length; i++) this.chunks.push(b[i] as number);
    return this;
  }
  get length(): number {
    return this.chunks.length;
  }
  toBytes(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }
}

function ipv4Bytes(ip: string): number[] {
  const parts = ip.split(".").map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) {
    throw new Error(`not an IPv4 address: ${ip}`);
  }
  return parts;
}

function ipv6Bytes(ip: string): number[] {
  const [head = "", tail] = ip.split("::");
  const groups = (s: string) => (s === "" ? [] : s.split(":"));
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const missing = 8 - left.length - right.length;
  if ((tail === undefined && missing !== 0) || missing < 0) throw new Error(`not an IPv6 address: ${ip}`);
  const all = [...left, ...Array<string>(missing).fill("0"), ...right];
  return all.flatMap((g) => {
    const v = Number.parseInt(g, 16);
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw new Error(`not an IPv6 address: ${ip}`);
    return [v >>> 8, v & 0xff];
  });
}

function attribute(w: Writer, flags: number, type: number, value: Uint8Array): void {
  const extended = value.length > 255;
  w.u8(flags | (extended ? FLAG_EXTENDED_LENGTH : 0)).u8(type);
  if (extended) w.u16(value.length);
  else w.u8(value.length);
  w.bytes(value);
}

function attributes(ipv6: boolean, attrs: OriginatedAttributes): Uint8Array {
  const w = new Writer();
  attribute(w, FLAG_TRANSITIVE, ATTR_ORIGIN, Uint8Array.of(0)); // IGP
  attribute(w, FLAG_TRANSITIVE, ATTR_AS_PATH, new Uint8Array(0)); // originated here: empty
  if (ipv6) {
    // RFC 6396 §4.3.4: in a RIB entry MP_REACH_NLRI holds only the next hop's length and address.
    const hop = ipv6Bytes(attrs.nexthop ?? "::");
    attribute(w, FLAG_OPTIONAL, ATTR_MP_REACH_NLRI, Uint8Array.from([hop.length, ...hop]));
  } else {
    attribute(w, FLAG_TRANSITIVE, ATTR_NEXT_HOP, Uint8Array.from(ipv4Bytes(attrs.nexthop ?? "0.0.0.0")));
  }
  if (attrs.localPref !== undefined) {
    attribute(w, FLAG_TRANSITIVE, ATTR_LOCAL_PREF, new Writer().u32(attrs.localPref).toBytes());
  }
  if (attrs.communities?.length) {
    const v = new Writer();
    for (const c of attrs.communities) {
      const [asn, value] = c.split(":").map(Number);
      v.u16(asn ?? 0).u16(value ?? 0);
    }
    attribute(w, FLAG_OPTIONAL | FLAG_TRANSITIVE, ATTR_COMMUNITIES, v.toBytes());
  }
  if (attrs.largeCommunities?.length) {
    const v = new Writer();
    for (const c of attrs.largeCommunities) for (const part of c.split(":")) v.u32(Number(part));
    attribute(w, FLAG_OPTIONAL | FLAG_TRANSITIVE, ATTR_LARGE_COMMUNITY, v.toBytes());
  }
  return w.toBytes();
}

function record(out: Writer, subtype: number, body: Uint8Array): void {
  out.u32(0).u16(MRT_TABLE_DUMP_V2).u16(subtype).u32(body.length).bytes(body);
}

/** The MRT dump announcing `prefixes` (one family or both) with the same attributes. */
export function mrtDump(prefixes: readonly string[], attrs: OriginatedAttributes = {}): Uint8Array {
  const out = new Writer();
  // PEER_INDEX_TABLE: collector id 0.0.0.0, no view name, one peer (type 2: IPv4 address, 4-octet AS).
  record(out, PEER_INDEX_TABLE, new Writer().u32(0).u16(0).u16(1).u8(2).u32(0).u32(0).u32(0).toBytes());
  // Built once per family, and only for a family present: a next hop given fits one family only.
  const byFamily = new Map<boolean, Uint8Array>();
  const attributesFor = (ipv6: boolean) => {
    const known = byFamily.get(ipv6);
    if (known) return known;
    const built = attributes(ipv6, attrs);
    byFamily.set(ipv6, built);
    return built;
  };
  prefixes.forEach((cidr, sequence) => {
    const [address = "", lengthText] = cidr.split("/");
    const ipv6 = address.includes(":");
    const length = Number(lengthText ?? (ipv6 ? 128 : 32));
    const bytes = (ipv6 ? ipv6Bytes(address) : ipv4Bytes(address)).slice(0, Math.ceil(length / 8));
    const a = attributesFor(ipv6);
    const body = new Writer().u32(sequence).u8(length).bytes(bytes).u16(1);
    body.u16(0).u32(0).u16(a.length).bytes(a); // peer 0, originated at time 0
    record(out, ipv6 ? RIB_IPV6_UNICAST : RIB_IPV4_UNICAST, body.toBytes());
  });
  return out.toBytes();
}

/** `count` consecutive /32s (or /128s) starting at `first`, for bulk announcements. */
export function consecutivePrefixes(first: string, count: number): string[] {
  if (first.includes(":")) {
    const bytes = ipv6Bytes(first);
    let low = (bytes[14] as number) * 256 + (bytes[15] as number);
    const high = bytes.slice(0, 14);
    const out: string[] = [];
    for (let i = 0; i < count; i++, low++) {
      if (low > 0xffff) throw new Error(`${count} addresses from ${first} overflow the last group`);
      const groups: string[] = [];
      for (let g = 0; g < 7; g++)
        groups.push((((high[2 * g] as number) << 8) | (high[2 * g + 1] as number)).toString(16));
      groups.push(low.toString(16));
      out.push(`${groups.join(":")}/128`);
    }
    return out;
  }
  const start = ipv4Bytes(first).reduce((acc, b) => acc * 256 + b, 0);
  return Array.from({ length: count }, (_, i) => {
    const n = start + i;
    return `${[n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff].join(".")}/32`;
  });
}
