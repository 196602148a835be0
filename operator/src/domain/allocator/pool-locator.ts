import type { Config, Pool } from "../config/types.ts";
import type { IPAddress } from "../ip/address.ts";
import { isBuggyIP } from "../ip/buggy.ts";
import { cidrSize } from "../ip/cidr.ts";

interface Span {
  readonly family: string;
  readonly first: bigint;
  readonly last: bigint;
  readonly pool: Pool;
}

/**
 * Finds the pool that owns an address by binary search over every prefix of every pool (a valid
 * Config has no overlaps, so the owner is unique). MetalLB's poolFor scans all pools per call;
 * this keeps "which pool holds this IP" at O(log prefixes) for 100k Services.
 */
export class PoolLocator {
  private readonly spans: Span[];

  constructor(config: Config) {
    const spans: Span[] = [];
    for (const pool of config.pools.byName.values()) {
      for (const cidr of pool.cidrs) {
        spans.push({
          family: cidr.family,
          first: cidr.network,
          last: cidr.network + cidrSize(cidr) - 1n,
          pool,
        });
      }
    }
    spans.sort((a, b) =>
      a.family !== b.family ? (a.family < b.family ? -1 : 1) : a.first < b.first ? -1 : 1,
    );
    this.spans = spans;
  }

  /** The pool whose prefixes contain the address, ignoring avoidBuggyIPs. */
  ownerOf(address: IPAddress): Pool | undefined {
    let lo = 0;
    let hi = this.spans.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const span = this.spans[mid]!;
      if (span.family < address.family || (span.family === address.family && span.last < address.value))
        lo = mid + 1;
      else if (span.family > address.family || span.first > address.value) hi = mid - 1;
      else return span.pool;
    }
    return undefined;
  }

  /**
   * MetalLB poolFor: the one pool that holds every address, where a pool with avoidBuggyIPs does
   * not hold its .0/.255 addresses. undefined when none does.
   */
  poolFor(addresses: readonly IPAddress[]): Pool | undefined {
    let owner: Pool | undefined;
    for (const address of addresses) {
      const pool = this.ownerOf(address);
      if (pool === undefined || (pool.avoidBuggyIPs && isBuggyIP(address))) return undefined;
      if (owner !== undefined && owner !== pool) return undefined;
      owner = pool;
    }
    return owner;
  }
}
