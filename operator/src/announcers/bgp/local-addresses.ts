/**
 * The addresses a session speaks from: its BGP Identifier and the next hops of its routes, derived
 * from the TCP connection's local address and the node's interfaces the way MetalLB does (bgp.md
 * §2.1 routerID, §2.3 next hop). Pure over an interface list (os.networkInterfaces()'s shape).
 */
import { cidrContains, cidrOf, formatIP, parseIP } from "../../domain/ip/index.ts";

/** One address of an interface, as os.networkInterfaces() lists it. */
export interface InterfaceAddress {
  readonly address: string;
  readonly family: "IPv4" | "IPv6";
  /** `address/length`. */
  readonly cidr: string | null;
  readonly internal: boolean;
}

export type InterfaceTable = Readonly<Record<string, readonly InterfaceAddress[] | undefined>>;

function same(a: string, b: string): boolean {
  const x = parseIP(a);
  const y = parseIP(b);
  return x !== undefined && y !== undefined && x.family === y.family && x.value === y.value;
}

function isLinkLocal(address: string): boolean {
  return /^fe[89ab]/i.test(address);
}

/** The interface holding an address, with its addresses. */
export function interfaceHolding(
  table: InterfaceTable,
  address: string,
): readonly InterfaceAddress[] | undefined {
  for (const addresses of Object.values(table)) {
    if (addresses?.some((a) => same(a.address, address))) return addresses;
  }
  return undefined;
}

function cidrContainsText(cidr: string | null, address: string): boolean {
  if (!cidr) return false;
  const slash = cidr.indexOf("/");
  const network = parseIP(cidr.slice(0, slash));
  const ip = parseIP(address);
  if (!network || !ip || network.family !== ip.family) return false;
  const block = cidrOf(network, Number(cidr.slice(slash + 1)));
  return block !== undefined && cidrContains(block, ip);
}

/** CRC-32 (IEEE) of a string's UTF-8 bytes. */
export function crc32(text: string): number {
  let crc = 0xffffffff;
  for (const byte of new TextEncoder().encode(text)) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * The BGP Identifier (MetalLB native): the configured one; else the session's local IPv4 address;
 * else, for an IPv6 session, the first IPv4 address of the interface holding the local address;
 * else the CRC-32 of the node name, its 4 bytes little-endian as a dotted quad.
 */
export function routerIDFor(
  configured: string | undefined,
  localAddress: string,
  table: InterfaceTable,
  nodeName: string,
): string {
  if (configured) return configured;
  const local = parseIP(localAddress);
  if (local?.family === "ipv4") return formatIP(local);
  const sibling = interfaceHolding(table, localAddress)?.find((a) => a.family === "IPv4");
  if (sibling) return sibling.address;
  const crc = crc32(nodeName);
  return [crc & 0xff, (crc >>> 8) & 0xff, (crc >>> 16) & 0xff, crc >>> 24].join(".");
}

export interface NextHops {
  /** For IPv4 routes; undefined: this session cannot carry them. */
  readonly ipv4: string | undefined;
  /** For IPv6 routes: global, then link-local when the peer shares the link (RFC 2545). */
  readonly ipv6: readonly string[] | undefined;
}

/**
 * Next hops for the session's routes: its local address for its own family (sourceAddress, else
 * the connection's); for the other family (dualStackAddressFamily) the first such address of the
 * interface holding the local address. IPv6 adds that interface's link-local address when the peer
 * is on one of the interface's subnets.
 */
export function nextHopsFor(localAddress: string, peerAddress: string, table: InterfaceTable): NextHops {
  const local = parseIP(localAddress);
  if (!local) return { ipv4: undefined, ipv6: undefined };
  const iface = interfaceHolding(table, localAddress) ?? [];
  const ipv4 = local.family === "ipv4" ? formatIP(local) : iface.find((a) => a.family === "IPv4")?.address;
  const global =
    local.family === "ipv6" && !isLinkLocal(localAddress)
      ? formatIP(local)
      : iface.find((a) => a.family === "IPv6" && !isLinkLocal(a.address))?.address;
  if (!global) return { ipv4, ipv6: undefined };
  const onLink = iface.some((a) => cidrContainsText(a.cidr, peerAddress));
  const linkLocal = iface.find((a) => a.family === "IPv6" && isLinkLocal(a.address))?.address;
  return { ipv4, ipv6: onLink && linkLocal ? [global, linkLocal.split("%")[0]!] : [global] };
}
