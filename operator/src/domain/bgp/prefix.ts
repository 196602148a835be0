/**
 * The prefix a BGPAdvertisement originates for one LoadBalancer IP: the IP masked to
 * aggregationLength (IPv4) or aggregationLengthV6 (IPv6), as MetalLB's bgp_controller does, so
 * Services whose IPs fall in one aggregate share one route.
 *
 * Runs for every IP of every announced Service and every advertisement, so the common cases stay
 * on text and plain numbers: a host route is the canonical IP plus `/32` or `/128`, and an IPv4
 * aggregate is masked as a 32-bit number. Only an IPv6 aggregate goes through bigint.
 */
import { ipv4Number, parseIP } from "../ip/address.ts";
import { cidrOf, formatCIDR } from "../ip/cidr.ts";
import type { IPFamily } from "../ip/family.ts";

export interface OriginatedPrefix {
  /** `address/length`, canonical, host bits zero. */
  readonly prefix: string;
  readonly family: IPFamily;
}

/** Hex digits, colons and (for an embedded IPv4 tail) dots: the characters of IPv6 text. */
function looksLikeIPv6(text: string): boolean {
  if (text.length < 2 || text.length > 45) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const ok = (c >= 48 && c <= 58) || (c >= 97 && c <= 102) || c === 46;
    if (!ok) return false;
  }
  return true;
}

/**
 * The originated prefix of `ip` (canonical text, as AnnounceRequest.ips holds) under the given
 * aggregation lengths; undefined when `ip` is not canonical address text.
 */
export function originatedPrefix(
  ip: string,
  aggregationLength: number,
  aggregationLengthV6: number,
): OriginatedPrefix | undefined {
  if (ip.includes(":")) {
    if (!looksLikeIPv6(ip)) return undefined;
    if (aggregationLengthV6 === 128) return { prefix: `${ip}/128`, family: "ipv6" };
    const address = parseIP(ip);
    if (address === undefined || address.family !== "ipv6") return undefined;
    const cidr = cidrOf(address, aggregationLengthV6);
    return cidr === undefined ? undefined : { prefix: formatCIDR(cidr), family: "ipv6" };
  }
  const value = ipv4Number(ip);
  if (value === undefined || !Number.isInteger(aggregationLength)) return undefined;
  if (aggregationLength === 32) return { prefix: `${ip}/32`, family: "ipv4" };
  if (aggregationLength < 0 || aggregationLength > 32) return undefined;
  const hostBits = 32 - aggregationLength;
  // 2 ** hostBits keeps the arithmetic exact for a /0 (a 32-bit shift would be no shift at all).
  const network = value - (value % 2 ** hostBits);
  return {
    prefix: `${network >>> 24}.${(network >>> 16) & 255}.${(network >>> 8) & 255}.${network & 255}/${aggregationLength}`,
    family: "ipv4",
  };
}
