import { formatIP, type IPAddress, parseIP } from "./address.ts";
import { familyBits, type IPFamily } from "./family.ts";
import { err, ok, type Result } from "./result.ts";

/** A network prefix: its family, the (masked) network address as a number, and the prefix length. */
export interface Cidr {
  readonly family: IPFamily;
  readonly network: bigint;
  readonly prefix: number;
}

function hostBits(cidr: Cidr): bigint {
  return BigInt(familyBits(cidr.family) - cidr.prefix);
}

/** Builds a CIDR, masking host bits; undefined when the prefix length does not fit the family. */
export function cidrOf(address: IPAddress, prefix: number): Cidr | undefined {
  const bits = familyBits(address.family);
  if (!Number.isInteger(prefix) || prefix < 0 || prefix > bits) return undefined;
  const host = BigInt(bits - prefix);
  return { family: address.family, network: (address.value >> host) << host, prefix };
}

/**
 * Parses `address/length` like Go's net.ParseCIDR, which MetalLB uses for pool addresses: host
 * bits are tolerated and masked off (`10.0.0.7/24` is `10.0.0.0/24`), the length is decimal and
 * within the family, and nothing else is accepted (no bare address, no surrounding whitespace).
 */
export function parseCIDR(text: string): Result<Cidr> {
  const slash = text.indexOf("/");
  if (slash < 0) return err(`invalid CIDR "${text}"`);
  const addressText = text.slice(0, slash);
  const lengthText = text.slice(slash + 1);
  const address = parseIP(addressText);
  if (address === undefined || !/^[0-9]{1,3}$/.test(lengthText)) return err(`invalid CIDR "${text}"`);
  // An IPv4-mapped IPv6 address written with a /len counts in 128 bits, as in Go.
  const family: IPFamily = addressText.includes(":") ? "ipv6" : "ipv4";
  const value =
    family === "ipv6" && address.family === "ipv4" ? address.value | (0xffffn << 32n) : address.value;
  const cidr = cidrOf({ family, value }, Number(lengthText));
  return cidr === undefined ? err(`invalid CIDR "${text}"`) : ok(cidr);
}

/** `network/prefix` in canonical address text. */
export function formatCIDR(cidr: Cidr): string {
  return `${formatIP({ family: cidr.family, value: cidr.network })}/${cidr.prefix}`;
}

export function firstAddress(cidr: Cidr): IPAddress {
  return { family: cidr.family, value: cidr.network };
}

export function lastAddress(cidr: Cidr): IPAddress {
  return { family: cidr.family, value: cidr.network + cidrSize(cidr) - 1n };
}

/** The number of addresses in the prefix (2^host bits), exact. */
export function cidrSize(cidr: Cidr): bigint {
  return 1n << hostBits(cidr);
}

export function cidrContains(cidr: Cidr, address: IPAddress): boolean {
  return address.family === cidr.family && address.value >> hostBits(cidr) === cidr.network >> hostBits(cidr);
}

/**
 * Whether two prefixes share any address. Two prefixes either nest or are disjoint, so this is
 * "one contains the other's network", MetalLB's cidrsOverlap.
 */
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false;
  const outer = a.prefix <= b.prefix ? a : b;
  const inner = outer === a ? b : a;
  return cidrContains(outer, firstAddress(inner));
}

/** Orders by family (IPv4 first), then network, then shorter prefix first. */
export function compareCidrs(a: Cidr, b: Cidr): number {
  if (a.family !== b.family) return a.family === "ipv4" ? -1 : 1;
  if (a.network !== b.network) return a.network < b.network ? -1 : 1;
  return a.prefix - b.prefix;
}
