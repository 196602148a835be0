/**
 * The segments a speaker beats on besides its bind address's: one per other interface the Layer 2
 * announcer answers on. A VIP announced on a second NIC is reachable only as long as that NIC, its
 * cable, switch port and VLAN work; beats on the bind address's segment would say nothing of them
 * (docs/membership.md, "Every announcing segment"). Pure, over the shape of os.networkInterfaces().
 *
 * Each segment beats from one address of its interface: the first IPv4 address with a broadcast
 * (its subnet broadcast, as the bind address's segment), else the first global IPv6 address
 * (ff02::1 on the interface). Its prefixes are the subnets of every address on the interface but
 * link-local ones: the Service IPs whose election its liveness decides.
 */
import { type Cidr, cidrOf, formatCIDR } from "../domain/ip/cidr.ts";
import { parseIP } from "../domain/ip/index.ts";
import { type BeatDestination, beatDestination, type Interfaces } from "./destination.ts";

export interface SegmentChannel {
  /** This node's interface on the segment (other nodes may name theirs otherwise). */
  readonly ifname: string;
  readonly destination: BeatDestination;
  /** The interface's subnets, canonical CIDR text, sorted. */
  readonly prefixes: readonly string[];
}

/** An announcing interface that gets no beats, and why (logged). */
export interface SkippedSegment {
  readonly ifname: string;
  readonly why: string;
}

export interface SegmentPlan {
  readonly channels: readonly SegmentChannel[];
  readonly skipped: readonly SkippedSegment[];
}

function prefixLength(cidr: string | null): number | undefined {
  const n = Number(cidr?.split("/")[1]);
  return Number.isInteger(n) ? n : undefined;
}

function isIpv6LinkLocal(address: string): boolean {
  return /^fe[89ab]/i.test(address);
}

/** The subnets of the interface's addresses, link-local ones aside. */
function prefixesOf(infos: Interfaces[string]): string[] {
  const prefixes = new Set<string>();
  for (const info of infos ?? []) {
    if (info.internal || (info.family === "IPv6" && isIpv6LinkLocal(info.address))) continue;
    const address = parseIP(info.address.split("%")[0]!);
    const length = prefixLength(info.cidr);
    const cidr: Cidr | undefined =
      address === undefined || length === undefined ? undefined : cidrOf(address, length);
    if (cidr !== undefined) prefixes.add(formatCIDR(cidr));
  }
  return [...prefixes].sort();
}

/** The address the segment beats from, or why there is none. */
function beatAddress(infos: Interfaces[string]): { address: string } | { why: string } {
  const usable = (infos ?? []).filter((i) => !i.internal);
  const ipv4 = usable.find((i) => i.family === "IPv4" && (prefixLength(i.cidr) ?? 32) <= 30);
  if (ipv4 !== undefined) return { address: ipv4.address };
  const ipv6 = usable.find((i) => i.family === "IPv6" && !isIpv6LinkLocal(i.address));
  if (ipv6 !== undefined) return { address: ipv6.address };
  return { why: "no IPv4 address with a broadcast and no global IPv6 address" };
}

/**
 * The segments to beat on for these announcing interfaces, the bind address's interface
 * (`mainIfname`) aside, in interface-name order.
 */
export function segmentPlan(
  announcing: readonly string[],
  interfaces: Interfaces,
  mainIfname: string,
): SegmentPlan {
  const channels: SegmentChannel[] = [];
  const skipped: SkippedSegment[] = [];
  for (const ifname of [...new Set(announcing)].sort()) {
    if (ifname === mainIfname) continue;
    const infos = interfaces[ifname];
    const from = beatAddress(infos);
    if ("why" in from) {
      skipped.push({ ifname, why: from.why });
      continue;
    }
    const result = beatDestination(from.address, { [ifname]: infos });
    if (!result.ok) {
      skipped.push({ ifname, why: result.error });
      continue;
    }
    channels.push({ ifname, destination: result.destination, prefixes: prefixesOf(infos) });
  }
  return { channels, skipped };
}

/** Equal plans open the same sockets. */
export function sameChannels(a: readonly SegmentChannel[], b: readonly SegmentChannel[]): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The segments this node lost its own link to: beating on one, its interface then left the
 * machine's running interfaces (down, or removed), so the announcer stopped answering there. Until
 * the segment is back and warmed up again, this node hears nobody there, itself included, and so
 * claims none of its IPs (the others elect a node they hear). By interface name, with the subnets
 * it had; the caller forgets one once it hears its members again.
 */
export function lostSegments(
  beating: readonly SegmentChannel[],
  plan: readonly SegmentChannel[],
  interfaces: Interfaces,
  lost: ReadonlyMap<string, readonly string[]>,
): Map<string, readonly string[]> {
  const planned = new Set(plan.map((c) => c.ifname));
  const next = new Map(lost);
  for (const channel of beating) {
    if (planned.has(channel.ifname)) continue;
    if ((interfaces[channel.ifname] ?? []).length === 0) next.set(channel.ifname, channel.prefixes);
  }
  return next;
}
