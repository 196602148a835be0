/**
 * Whose liveness elects an IP. A speaker hears the others on the bind address's segment (its
 * `members`) and, on a node with more announcing interfaces, on each of those segments too
 * (membership/segments.ts). An IP inside a subnet of such a segment is given only to nodes heard
 * there: a node whose NIC, cable or switch port on that segment failed loses those IPs, even while
 * it still beats on the bind address's segment. Any other IP goes by `members`, as MetalLB's
 * memberlist (one address per speaker) decides every IP.
 */
import { type Cidr, cidrContains, parseCIDR } from "../ip/cidr.ts";
import { parseIP } from "../ip/index.ts";

/** One other announcing segment as the speaker reports it. */
export interface MemberSegment {
  /** This node's interface on it. */
  readonly ifname: string;
  /** Its subnets (CIDR text). */
  readonly prefixes: readonly string[];
  /** The live speakers heard on it, sorted. */
  readonly members: readonly string[];
}

/** A segment ready for lookups. */
export interface SegmentView {
  readonly ifname: string;
  readonly prefixes: readonly Cidr[];
  readonly members: ReadonlySet<string>;
}

export function segmentViews(segments: readonly MemberSegment[] | undefined): readonly SegmentView[] {
  return (segments ?? []).map((s) => ({
    ifname: s.ifname,
    prefixes: s.prefixes.flatMap((p) => {
      const parsed = parseCIDR(p);
      return parsed.ok ? [parsed.value] : [];
    }),
    members: new Set(s.members),
  }));
}

/** The segments whose subnets hold the IP. */
export function segmentsHolding(ip: string, segments: readonly SegmentView[]): readonly SegmentView[] {
  if (segments.length === 0) return [];
  const address = parseIP(ip);
  if (address === undefined) return [];
  return segments.filter((s) => s.prefixes.some((p) => cidrContains(p, address)));
}

/**
 * The live speakers that elect `ip`: those heard on the segments holding it (every one of them
 * when several do), else `members`. undefined stays undefined (membership disabled: every Node).
 */
export function membersElecting(
  ip: string,
  members: ReadonlySet<string> | undefined,
  segments: readonly SegmentView[],
): ReadonlySet<string> | undefined {
  if (members === undefined) return undefined;
  const holding = segmentsHolding(ip, segments);
  if (holding.length === 0) return members;
  if (holding.length === 1) return holding[0]!.members;
  const union = new Set<string>();
  for (const s of holding) for (const m of s.members) union.add(m);
  return union;
}
