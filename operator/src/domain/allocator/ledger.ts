import type { Pool } from "../config/types.ts";
import { addressKey, formatIP, type IPAddress } from "../ip/address.ts";
import { isBuggyIP } from "../ip/buggy.ts";
import { type Cidr, cidrSize } from "../ip/cidr.ts";
import type { AllocationFailure } from "./failure.ts";
import { goQuote } from "./go-format.ts";

export type SharingConflict = Extract<AllocationFailure, { code: "sharingKeyConflict" | "portInUse" }>;

/** Who asks for an address: the fields MetalLB's sharing rules look at. */
export interface Claimant {
  readonly key: string;
  readonly ports: readonly string[];
  readonly sharingKey: string;
  readonly backendKey: string;
}

interface Cursors {
  readonly families: string[];
  readonly first: bigint[];
  readonly next: bigint[];
  readonly last: bigint[];
}

interface AddressUse {
  readonly address: IPAddress;
  readonly pool: string;
  /** The sharing and backend keys of the IP: those of its first holder (all holders agree). */
  readonly sharingKey: string;
  readonly backendKey: string;
  readonly services: string[];
  /** `PROTO/port` in use on this IP, and (same index) the Service using it. Short lists: arrays beat Maps. */
  readonly ports: string[];
  readonly portOwners: string[];
}

/**
 * The addresses taken during one allocation plan, and what the sharing rules need to know about
 * them (MetalLB's allocator maps: sharingKeyForIP, portsInUse, servicesOnIP, poolIPsInUse).
 *
 * Within one plan addresses are only ever added (every check runs before anything is reserved),
 * so the lowest unused address of a prefix can only move up: each prefix keeps a cursor, and
 * "lowest free address" costs O(1) amortized instead of MetalLB's walk from the start of the
 * prefix (O(pool size) per Service). A /64 pool works because nothing is ever enumerated.
 *
 * The ledger outlives one plan when the controller re-plans only the Services that changed:
 * `release` takes a Service's addresses back and moves the cursor down to the freed address, so
 * "nothing below the cursor is free" still holds. What the ledger answers depends only on the set
 * of reservations, not on their order (all holders of an address agree on its keys), which is
 * why releasing and re-reserving yields what a fresh plan would.
 */
export class Ledger {
  private readonly uses = new Map<number | string, AddressUse>();
  /** sharing key + backend key -> addresses held under it (candidates for co-location). */
  private readonly shareable = new Map<string, Set<number | string>>();
  /** Per pool, per prefix: the next address to look at, and the first and last address of the prefix. */
  private readonly cursors = new Map<string, Cursors>();
  private readonly perPool = new Map<string, { ipv4: number; ipv6: number }>();
  /** Service key -> the addresses it reserved, for `release`. */
  private readonly held = new Map<string, (number | string)[]>();

  /** MetalLB checkSharing: why `claimant` may not use `address`, or undefined if it may. */
  sharingProblem(claimant: Claimant, address: IPAddress): string | undefined {
    return this.sharingConflict(claimant, address)?.message;
  }

  /** sharingProblem as a typed value: which rule, and which Services stand in the way. */
  sharingConflict(claimant: Claimant, address: IPAddress): SharingConflict | undefined {
    const use = this.uses.get(addressKey(address));
    if (use === undefined) return undefined;
    const conflict = conflictOn(use, claimant);
    if (conflict === SHARING_KEY) {
      const others = use.services.filter((s) => s !== claimant.key).sort();
      return {
        code: "sharingKeyConflict",
        ip: formatIP(address),
        services: others,
        message: `can't change sharing key for ${goQuote(claimant.key)}, address also in use by ${others.join(",")}`,
      };
    }
    if (conflict !== undefined) {
      return {
        code: "portInUse",
        ip: formatIP(address),
        port: conflict,
        service: use.portOwners[use.ports.indexOf(conflict)] ?? "",
        message: `port ${conflict} is already in use on ${goQuote(formatIP(address))}`,
      };
    }
    return undefined;
  }

  /** Records that `claimant` holds `addresses` from `pool`. Callers check sharingProblem first. */
  reserve(claimant: Claimant, pool: string, addresses: readonly IPAddress[]): void {
    for (const address of addresses) {
      const k = addressKey(address);
      let use = this.uses.get(k);
      if (use === undefined) {
        use = {
          address,
          pool,
          sharingKey: claimant.sharingKey,
          backendKey: claimant.backendKey,
          services: [],
          ports: [],
          portOwners: [],
        };
        this.uses.set(k, use);
        const counts = this.perPool.get(pool) ?? { ipv4: 0, ipv6: 0 };
        counts[address.family]++;
        this.perPool.set(pool, counts);
        if (claimant.sharingKey !== "") {
          const id = shareId(claimant);
          const set = this.shareable.get(id) ?? new Set();
          set.add(k);
          this.shareable.set(id, set);
        }
      }
      if (!use.services.includes(claimant.key)) {
        use.services.push(claimant.key);
        const mine = this.held.get(claimant.key);
        if (mine === undefined) this.held.set(claimant.key, [k]);
        else mine.push(k);
      }
      for (const port of claimant.ports) {
        const at = use.ports.indexOf(port);
        if (at >= 0) use.portOwners[at] = claimant.key;
        else {
          use.ports.push(port);
          use.portOwners.push(claimant.key);
        }
      }
    }
  }

  /** Whether any Service holds the address. */
  isUsed(address: IPAddress): boolean {
    return this.uses.has(addressKey(address));
  }

  /** Takes back every address `key` holds, as if it had never reserved them. */
  release(key: string): void {
    const mine = this.held.get(key);
    if (mine === undefined) return;
    this.held.delete(key);
    for (const k of mine) {
      const use = this.uses.get(k);
      if (use === undefined) continue;
      use.services.splice(use.services.indexOf(key), 1);
      for (let i = use.ports.length - 1; i >= 0; i--) {
        if (use.portOwners[i] !== key) continue;
        use.ports.splice(i, 1);
        use.portOwners.splice(i, 1);
      }
      if (use.services.length > 0) continue;
      this.uses.delete(k);
      this.perPool.get(use.pool)![use.address.family]--;
      if (use.sharingKey !== "") this.shareable.get(shareId(use))?.delete(k);
      this.lowerCursor(use.pool, use.address);
    }
  }

  /** Distinct addresses in use in a pool, by family. */
  inUse(pool: string): { ipv4: number; ipv6: number } {
    return this.perPool.get(pool) ?? { ipv4: 0, ipv6: 0 };
  }

  /**
   * The lowest address of the pool's prefix `index` that `claimant` may take: unused (and not
   * buggy when the pool avoids those), or already held by Services it may share with (same
   * sharing and backend keys, no port in common). This is MetalLB getIPFromCIDR.
   */
  lowestAvailable(pool: Pool, index: number, claimant: Claimant): IPAddress | undefined {
    const cidr = pool.cidrs[index];
    if (cidr === undefined) return undefined;
    const cursors = this.cursorsOf(pool);
    const first = cidr.network;
    const last = cursors.last[index] ?? first;
    const unused = this.lowestUnused(pool, index, cidr, cursors, last);
    if (claimant.sharingKey === "") return unused;
    let best = unused;
    for (const k of this.shareable.get(shareId(claimant)) ?? []) {
      const use = this.uses.get(k);
      if (use === undefined || use.address.family !== cidr.family) continue;
      const value = use.address.value;
      if (value < first || value > last || (best !== undefined && value >= best.value)) continue;
      if (pool.avoidBuggyIPs && isBuggyIP(use.address)) continue;
      if (conflictOn(use, claimant) === undefined) best = use.address;
    }
    return best;
  }

  private cursorsOf(pool: Pool): Cursors {
    let cursors = this.cursors.get(pool.name);
    if (cursors === undefined) {
      cursors = {
        families: pool.cidrs.map((c) => c.family),
        first: pool.cidrs.map((c) => c.network),
        next: pool.cidrs.map((c) => c.network),
        last: pool.cidrs.map((c) => c.network + cidrSize(c) - 1n),
      };
      this.cursors.set(pool.name, cursors);
    }
    return cursors;
  }

  /** A freed address is free again: the prefix holding it must look from there on. */
  private lowerCursor(pool: string, address: IPAddress): void {
    const cursors = this.cursors.get(pool);
    if (cursors === undefined) return; // never searched: starts at the prefix's first address anyway
    cursors.families.forEach((family, i) => {
      const next = cursors.next[i]!;
      if (family === address.family && address.value >= cursors.first[i]! && address.value < next)
        cursors.next[i] = address.value;
    });
  }

  private lowestUnused(
    pool: Pool,
    index: number,
    cidr: Cidr,
    cursors: { next: bigint[] },
    last: bigint,
  ): IPAddress | undefined {
    let value = cursors.next[index] ?? cidr.network;
    for (; value <= last; value++) {
      const address = { family: cidr.family, value };
      if (pool.avoidBuggyIPs && isBuggyIP(address)) continue;
      if (!this.uses.has(addressKey(address))) break;
    }
    cursors.next[index] = value;
    return value <= last ? { family: cidr.family, value } : undefined;
  }
}

/**
 * What keeps `claimant` off an address in use: "sharingKey" (keys or backends differ, and
 * other Services hold it; a Service alone on its IP may change its key in place), the first
 * port already used there by another Service, or undefined when it may share.
 */
const SHARING_KEY = "sharingKey";

function conflictOn(use: AddressUse, claimant: Claimant): string | undefined {
  const compatible =
    use.sharingKey !== "" &&
    claimant.sharingKey !== "" &&
    use.sharingKey === claimant.sharingKey &&
    use.backendKey === claimant.backendKey;
  if (!compatible && use.services.some((s) => s !== claimant.key)) return SHARING_KEY;
  for (const port of claimant.ports) {
    const at = use.ports.indexOf(port);
    if (at >= 0 && use.portOwners[at] !== claimant.key) return port;
  }
  return undefined;
}

function shareId(claimant: { readonly sharingKey: string; readonly backendKey: string }): string {
  return `${claimant.sharingKey}\u0000${claimant.backendKey}`;
}
