import { formatIP, type IPAddress, parseIP } from "./address.ts";
import { type Cidr, cidrOf, parseCIDR } from "./cidr.ts";
import { familyBits } from "./family.ts";
import { err, ok, type Result } from "./result.ts";

/**
 * The smallest list of CIDRs that covers exactly [first, last], in ascending order (the classic
 * summarization MetalLB applies to `a-b` ranges). Both ends must be of the same family.
 */
export function rangeToCidrs(first: IPAddress, last: IPAddress): Cidr[] {
  if (first.family !== last.family || first.value > last.value) return [];
  const bits = familyBits(first.family);
  const cidrs: Cidr[] = [];
  let start = first.value;
  while (start <= last.value) {
    // The largest block that starts at `start` (alignment) and does not pass `last`.
    let host = 0;
    while (host < bits) {
      const size = 1n << BigInt(host + 1);
      if (start % size !== 0n || start + size - 1n > last.value) break;
      host++;
    }
    const cidr = cidrOf({ family: first.family, value: start }, bits - host);
    if (cidr === undefined) break;
    cidrs.push(cidr);
    start += 1n << BigInt(host);
  }
  return cidrs;
}

/**
 * Parses a pool address entry: a CIDR (see parseCIDR) or a range `first-last`, whitespace around
 * either end trimmed, both ends of one family, first <= last. The range is summarized into CIDRs.
 * Error texts follow MetalLB's (`invalid IP range "…": start IP "…" is after the end IP "…"`).
 */
export function parseAddressEntry(text: string): Result<Cidr[]> {
  const dash = text.indexOf("-");
  if (dash < 0) {
    const cidr = parseCIDR(text);
    return cidr.ok ? ok([cidr.value]) : cidr;
  }
  const startText = text.slice(0, dash);
  const endText = text.slice(dash + 1);
  const start = parseIP(startText.trim());
  if (start === undefined) return err(`invalid IP range "${text}": invalid start IP "${startText}"`);
  const end = parseIP(endText.trim());
  if (end === undefined) return err(`invalid IP range "${text}": invalid end IP "${endText}"`);
  if (start.family !== end.family) {
    return err(
      `invalid IP range "${text}": start IP "${formatIP(start)}" and end IP "${formatIP(end)}" are of different families`,
    );
  }
  if (start.value > end.value) {
    return err(
      `invalid IP range "${text}": start IP "${formatIP(start)}" is after the end IP "${formatIP(end)}"`,
    );
  }
  return ok(rangeToCidrs(start, end));
}
