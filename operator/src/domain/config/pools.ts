import type { Namespace } from "../api/core.ts";
import type { IPAddressPool } from "../api/ip-address-pool.ts";
import { type Cidr, cidrSize, compareCidrs, formatCIDR } from "../ip/cidr.ts";
import { isEnormous, usableCount } from "../ip/count.ts";
import { parseAddressEntry } from "../ip/range.ts";
import { compileSelectorList, EVERYTHING, selectorMatches } from "../selector/label-selector.ts";
import { type ConfigError, configError } from "./errors.ts";
import { firstDuplicate, listOf, nameOf, sortedByName } from "./objects.ts";
import type { Pool, PoolAddressEntry, PoolCapacity, PoolServiceAllocation, Pools } from "./types.ts";

/** A parsed pool before advertisements are attached to it. */
export type PoolDraft = Omit<Pool, "l2Advertisements" | "bgpAdvertisements">;

const KIND = "IPAddressPool";

/**
 * Parses IPAddressPools in name order: addresses (CIDRs and ranges), serviceAllocation (with
 * namespaceSelectors resolved against the given Namespaces), capacity. Then rejects prefixes that
 * overlap any prefix defined before them, in this pool or an earlier one (MetalLB: "CIDR … overlaps
 * with already defined CIDR …"). Returns only the pools that parsed cleanly.
 */
export function parsePools(
  raw: readonly IPAddressPool[] | undefined,
  namespaces: readonly Namespace[] | undefined,
): { pools: PoolDraft[]; errors: ConfigError[] } {
  const errors: ConfigError[] = [];
  const pools: PoolDraft[] = [];
  const seen = new Set<string>();
  for (const object of sortedByName(raw)) {
    const name = nameOf(object);
    if (name === "") {
      errors.push(configError("missingName", KIND, name, "metadata.name", "missing pool name"));
      continue;
    }
    if (seen.has(name)) {
      errors.push(
        configError("duplicateName", KIND, name, "metadata.name", `duplicate definition of pool "${name}"`),
      );
      continue;
    }
    seen.add(name);
    const before = errors.length;
    const pool = poolOf(object, name, namespaces, errors);
    if (pool !== undefined && errors.length === before) pools.push(pool);
  }
  const overlapping = overlapErrors(pools);
  const bad = new Set(overlapping.map((e) => e.name));
  return { pools: pools.filter((p) => !bad.has(p.name)), errors: [...errors, ...overlapping] };
}

function poolOf(
  object: IPAddressPool,
  name: string,
  namespaces: readonly Namespace[] | undefined,
  errors: ConfigError[],
): PoolDraft | undefined {
  const spec = object.spec;
  if (spec === undefined || spec === null || typeof spec !== "object") {
    errors.push(configError("invalidSpec", KIND, name, "spec", "spec is missing"));
    return undefined;
  }
  const texts = listOf(spec.addresses);
  if (texts.length === 0) {
    errors.push(configError("noAddresses", KIND, name, "spec.addresses", "pool has no prefixes defined"));
    return undefined;
  }
  const addresses: PoolAddressEntry[] = [];
  for (const [i, text] of texts.entries()) {
    const parsed =
      typeof text === "string" ? parseAddressEntry(text) : { ok: false as const, error: "not a string" };
    if (!parsed.ok) {
      errors.push(
        configError(
          "invalidAddress",
          KIND,
          name,
          `spec.addresses[${i}]`,
          `invalid CIDR "${text}" in pool "${name}": ${parsed.error}`,
        ),
      );
      continue;
    }
    addresses.push({ text, cidrs: parsed.value });
  }
  const serviceAllocation = serviceAllocationOf(object, name, namespaces, errors);
  const cidrs = addresses.flatMap((a) => a.cidrs);
  const avoidBuggyIPs = spec.avoidBuggyIPs === true;
  return {
    name,
    labels: object.metadata?.labels,
    cidrs,
    addresses,
    autoAssign: spec.autoAssign !== false,
    avoidBuggyIPs,
    serviceAllocation,
    capacity: capacityOf(cidrs, avoidBuggyIPs),
  };
}

function serviceAllocationOf(
  object: IPAddressPool,
  name: string,
  namespaces: readonly Namespace[] | undefined,
  errors: ConfigError[],
): PoolServiceAllocation | undefined {
  const allocation = object.spec.serviceAllocation;
  if (allocation === undefined || allocation === null) return undefined;
  const field = "spec.serviceAllocation";
  const priority = allocation.priority ?? 0;
  if (!Number.isInteger(priority)) {
    errors.push(
      configError(
        "invalidSpec",
        KIND,
        name,
        `${field}.priority`,
        `priority must be an integer, got ${priority}`,
      ),
    );
  }
  const listed = listOf(allocation.namespaces);
  const duplicate = firstDuplicate(listed);
  if (duplicate !== undefined) {
    errors.push(
      configError(
        "duplicateNamespace",
        KIND,
        name,
        `${field}.namespaces`,
        `duplicate definition in namespaces field: "${duplicate}"`,
      ),
    );
  }
  const nsSelectors = compileSelectorList(allocation.namespaceSelectors, "namespaceSelectors");
  if (!nsSelectors.ok) {
    errors.push(configError("invalidSelector", KIND, name, `${field}.namespaceSelectors`, nsSelectors.error));
  }
  const svcSelectors = compileSelectorList(allocation.serviceSelectors, "serviceSelectors");
  if (!svcSelectors.ok) {
    errors.push(configError("invalidSelector", KIND, name, `${field}.serviceSelectors`, svcSelectors.error));
  }
  if (!nsSelectors.ok || !svcSelectors.ok) return undefined;

  // Deviation, on purpose: MetalLB applies the namespace restriction only when the resolved set is
  // non-empty, so namespaceSelectors that select no namespace (yet) open the pool to every
  // namespace via the address-pool annotation. We restrict whenever namespaces or
  // namespaceSelectors are given: an empty set then means "no namespace may use this pool".
  const restricted = listed.length > 0 || nsSelectors.value.length > 0;
  let allowed: Set<string> | undefined;
  if (restricted) {
    allowed = new Set(listed);
    for (const ns of listOf(namespaces)) {
      const nsName = nameOf(ns);
      if (nsSelectors.value.some((s) => selectorMatches(s, ns.metadata?.labels))) allowed.add(nsName);
    }
  }
  // MetalLB 0.15.0 (PR #2714): a serviceAllocation that lists neither namespaces nor selectors
  // (e.g. only a priority) selects every Service, so the pool is pinned for all with its priority.
  const serviceSelectors = !restricted && svcSelectors.value.length === 0 ? [EVERYTHING] : svcSelectors.value;
  return { priority: Number.isInteger(priority) ? priority : 0, namespaces: allowed, serviceSelectors };
}

function capacityOf(cidrs: readonly Cidr[], avoidBuggyIPs: boolean): PoolCapacity {
  let ipv4 = 0n;
  let ipv6 = 0n;
  let ipv6Enormous = false;
  for (const cidr of cidrs) {
    if (cidr.family === "ipv4") ipv4 += usableCount(cidr, avoidBuggyIPs);
    else {
      ipv6 += usableCount(cidr, avoidBuggyIPs);
      ipv6Enormous ||= isEnormous(cidr);
    }
  }
  return { ipv4, ipv6, ipv6Enormous };
}

interface Placed {
  readonly cidr: Cidr;
  readonly pool: string;
  readonly field: string;
  /** Definition order: pools by name, then position in spec.addresses. */
  readonly order: number;
}

/**
 * Every prefix that overlaps one defined before it. Prefixes either nest or are disjoint, so one
 * sort and a sweep that remembers the widest prefix seen so far finds every overlap in
 * O(n log n): a /8 range summarized into dozens of prefixes across many pools stays cheap.
 */
function overlapErrors(pools: readonly PoolDraft[]): ConfigError[] {
  const placed: Placed[] = [];
  for (const pool of pools) {
    pool.addresses.forEach((entry, i) => {
      for (const cidr of entry.cidrs) {
        placed.push({ cidr, pool: pool.name, field: `spec.addresses[${i}]`, order: placed.length });
      }
    });
  }
  placed.sort((a, b) => compareCidrs(a.cidr, b.cidr) || a.order - b.order);
  const errors: ConfigError[] = [];
  // One error per address entry: a range summarized into several prefixes is reported once.
  const reported = new Set<string>();
  let widest: Placed | undefined;
  for (const current of placed) {
    const end = (p: Placed) => p.cidr.network + cidrSize(p.cidr) - 1n;
    if (
      widest !== undefined &&
      widest.cidr.family === current.cidr.family &&
      current.cidr.network <= end(widest)
    ) {
      const [earlier, later] = widest.order < current.order ? [widest, current] : [current, widest];
      const entry = `${later.pool}\u0000${later.field}`;
      if (!reported.has(entry)) {
        reported.add(entry);
        errors.push(
          configError(
            "cidrOverlap",
            KIND,
            later.pool,
            later.field,
            `CIDR "${formatCIDR(later.cidr)}" in pool "${later.pool}" overlaps with already defined CIDR "${formatCIDR(earlier.cidr)}" (pool "${earlier.pool}")`,
          ),
        );
      }
      if (end(current) > end(widest)) widest = current;
    } else {
      widest = current;
    }
  }
  return errors.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.field < b.field ? -1 : 1));
}

/** The indexes MetalLB keeps next to the pools (config.Pools ByNamespace / ByServiceSelector). */
export function indexPools(pools: readonly Pool[]): Pools {
  const byName = new Map<string, Pool>();
  const byNamespace = new Map<string, string[]>();
  const byServiceSelector: string[] = [];
  for (const pool of [...pools].sort((a, b) => (a.name < b.name ? -1 : 1))) {
    byName.set(pool.name, pool);
    const allocation = pool.serviceAllocation;
    if (allocation === undefined) continue;
    for (const ns of [...(allocation.namespaces ?? [])].sort()) {
      const list = byNamespace.get(ns) ?? [];
      list.push(pool.name);
      byNamespace.set(ns, list);
    }
    if (allocation.serviceSelectors.length > 0) byServiceSelector.push(pool.name);
  }
  return { byName, byNamespace, byServiceSelector };
}
