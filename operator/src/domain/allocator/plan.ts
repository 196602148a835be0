import type { Config, Pool } from "../config/types.ts";
import { formatIP, type IPAddress, parseIP } from "../ip/address.ts";
import { type FamilySet, type IPFamily, otherFamily } from "../ip/family.ts";
import { err, ok, type Result } from "../ip/result.ts";
import { type Claims, isIncumbent } from "./claim.ts";
import type { AllocationPlan, DecisionReason, PoolCounters, ServiceDecision } from "./decision.ts";
import * as ev from "./events.ts";
import { type AllocationFailure, plainFailure } from "./failure.ts";
import { familyOfParsed, serviceFamilyChanged } from "./families.ts";
import { GO_NIL_IP, goQuote, goQuoteList } from "./go-format.ts";
import { Ledger } from "./ledger.ts";
import { poolCounters } from "./pool-counters.ts";
import { PoolLocator } from "./pool-locator.ts";
import { generalPools, pinnedPoolsFor, poolAdmits } from "./pools-for-service.ts";
import type { AllocationRequest } from "./request.ts";

export interface PlanOptions {
  /** The controller's --lb-class. Empty/undefined: only Services without a loadBalancerClass. */
  readonly loadBalancerClass?: string;
  /**
   * The claims sharing Services last held their IPs under (claim.ts): incumbents are settled
   * first, so an edited Service, not the one nobody touched, loses a shared IP.
   */
  readonly claims?: Claims;
}

/**
 * Which IP each LoadBalancer Service should hold, MetalLB's controller algorithm run over the
 * whole cluster at once (controller/service.go convergeBalancer + internal/allocator):
 *
 * 1. Services this controller does not own (--lb-class) are left alone; non-LoadBalancer
 *    Services, Services without cluster IPs, RequireDualStack with fewer than two cluster IPs,
 *    and every Service when no pool exists at all, are cleared.
 * 2. Services that already hold IPs come first (incumbents that still hold their IPs under the
 *    sharing inputs they were planned with, then most IPs first, then by key): each keeps its IPs
 *    if the config still allows them (pool exists and admits the Service, sharing rules hold,
 *    family, requested IPs and address-pool annotation unchanged); otherwise ClearAssignment.
 *    All of them are settled before anything new is allocated, so a restart never moves an IP.
 * 3. PreferDualStack Services holding one family try to add the other from the same pool.
 * 4. Everything else is allocated, in the same order: requested IPs, else the address-pool
 *    annotation, else pinned pools by priority, else the general autoAssign pools by name; the
 *    lowest address available in the pool's prefixes in listed order.
 *
 * Pure, total and deterministic: no input order, clock or randomness changes the result, and
 * running it again on a cluster updated with its writes asks for no new write.
 */
export function allocationPlan(
  config: Config,
  services: readonly AllocationRequest[],
  options: PlanOptions = {},
): AllocationPlan {
  const ledger = new Ledger();
  const decisions = planOnto(config, ledger, services, options);
  return { decisions, pools: poolCountersOf(config, ledger) };
}

/** Counters for every configured pool, from what the ledger holds. */
export function poolCountersOf(config: Config, ledger: Ledger): Map<string, PoolCounters> {
  const pools = new Map<string, PoolCounters>();
  for (const pool of config.pools.byName.values())
    pools.set(pool.name, poolCounters(pool, ledger.inUse(pool.name)));
  return pools;
}

/**
 * The plan's steps over `services`, reserving in `ledger`, which may already hold the addresses
 * of Services planned before (the controller's incremental re-plan; see allocationPlan for the
 * steps). Returns one decision per distinct key, sorted by key.
 */
export function planOnto(
  config: Config,
  ledger: Ledger,
  services: readonly AllocationRequest[],
  options: PlanOptions = {},
): ServiceDecision[] {
  const run = new PlanRun(config, ledger);
  const lbClass = options.loadBalancerClass ?? "";
  const decisions = new Map<string, ServiceDecision>();
  const unique: AllocationRequest[] = [];
  for (const service of [...services].sort(byKey)) {
    if (unique.length > 0 && unique[unique.length - 1]?.key === service.key) continue; // first copy of a key wins
    unique.push(service);
  }
  const owned: AllocationRequest[] = [];
  for (const service of unique) {
    const early = earlyDecision(service, lbClass, config);
    if (early !== undefined) decisions.set(service.key, early);
    else owned.push(service);
  }
  // Holders first: incumbents (claim.ts), then most IPs first; the sort is stable, so ties stay
  // in key order.
  const incumbents = new Set<string>();
  for (const s of owned) if (isIncumbent(s, options.claims)) incumbents.add(s.key);
  const ordered = owned.sort(
    (a, b) =>
      Number(incumbents.has(b.key)) - Number(incumbents.has(a.key)) ||
      b.current.ingressIPs.length - a.current.ingressIPs.length,
  );

  const pending: Pending[] = [];
  const kept: Kept[] = [];
  for (const service of ordered) {
    if (service.current.ingressIPs.length === 0) {
      pending.push({ service, events: [] });
      continue;
    }
    const held = run.settleHeld(service);
    if (held.kind === "decided") decisions.set(service.key, held.decision);
    else if (held.kind === "kept") kept.push(held.kept);
    else pending.push({ service, events: held.events });
  }
  for (const k of kept) decisions.set(k.service.key, run.keepWithAdditionalFamily(k));
  for (const p of pending) decisions.set(p.service.key, run.allocate(p.service, p.events));
  return unique.map((s) => decisions.get(s.key)!);
}

function byKey(a: { key: string }, b: { key: string }): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

interface Pending {
  readonly service: AllocationRequest;
  readonly events: readonly ev.ServiceEvent[];
}

interface Kept {
  readonly service: AllocationRequest;
  readonly ips: readonly IPAddress[];
  readonly pool: Pool;
  readonly events: readonly ev.ServiceEvent[];
}

type Held =
  | { readonly kind: "decided"; readonly decision: ServiceDecision }
  | { readonly kind: "kept"; readonly kept: Kept }
  | { readonly kind: "reallocate"; readonly events: readonly ev.ServiceEvent[] };

/** The final state of a Service, before it is compared with what the Service carries. */
type Target =
  | { readonly kind: "untouched" }
  | { readonly kind: "clear" }
  | { readonly kind: "hold"; readonly ips: readonly IPAddress[]; readonly pool: string };

/** Services decided before any address is looked at (convergeBalancer's early exits). */
function earlyDecision(
  service: AllocationRequest,
  lbClass: string,
  config: Config,
): ServiceDecision | undefined {
  const cls = service.loadBalancerClass;
  // MetalLB filterByLoadBalancerClass: without --lb-class only class-less Services, with it only an exact match.
  if (cls === undefined ? lbClass !== "" : cls !== lbClass) {
    return decide(service, "loadBalancerClassMismatch", { kind: "untouched" }, []);
  }
  if (!service.isLoadBalancer) return decide(service, "notLoadBalancer", { kind: "clear" }, []);
  // No pool at all: every Service is stripped of its IPs (MetalLB e2e "removes all pools").
  if (config.pools.byName.size === 0) return decide(service, "noPools", { kind: "clear" }, []);
  if (service.noClusterIPs) return decide(service, "noClusterIPs", { kind: "clear" }, []);
  if (service.familyPolicy === "RequireDualStack" && service.clusterIPs.length < 2) {
    return decide(service, "notEnoughClusterIPs", { kind: "clear" }, [
      ev.notEnoughClusterIPs(service.clusterIPs),
    ]);
  }
  return undefined;
}

/**
 * Builds the decision: what the Service will hold, and the write needed to get there (none when
 * it already carries exactly that). The deprecatedAnnotation events come last and only with a
 * write, as MetalLB emits them only when it is about to update the Service.
 */
function decide(
  service: AllocationRequest,
  reason: DecisionReason,
  target: Target,
  events: readonly ev.ServiceEvent[],
  failure?: AllocationFailure,
): ServiceDecision {
  const current = service.current;
  let ips: string[];
  let pool: string | undefined;
  let write: ServiceDecision["write"];
  if (target.kind === "untouched") {
    ips = current.ingressIPs.map((ip) => canonicalOr(ip));
    pool = current.allocatedFromPool;
  } else if (target.kind === "clear") {
    ips = [];
    pool = undefined;
    const clean =
      current.ingressCount === 0 &&
      current.allocatedFromPool === undefined &&
      !current.legacyAllocatedFromPool;
    if (!clean) write = { ingressIPs: [], allocatedFromPool: undefined };
  } else {
    ips = target.ips.map(formatIP);
    pool = target.pool;
    const same =
      current.ingressPlain &&
      current.ingressIPs.length === ips.length &&
      current.ingressIPs.every((ip, i) => ip === ips[i]) &&
      current.allocatedFromPool === pool &&
      !current.legacyAllocatedFromPool;
    if (!same) write = { ingressIPs: ips, allocatedFromPool: pool };
  }
  const all =
    write === undefined ? events : [...events, ...service.deprecatedAnnotations.map(ev.deprecatedAnnotation)];
  return failure === undefined
    ? { key: service.key, reason, ips, pool, write, events: all, error: undefined }
    : { key: service.key, reason, ips, pool, write, events: all, error: failure.message, failure };
}

function canonicalOr(text: string): string {
  const address = parseIP(text);
  return address === undefined ? text : formatIP(address);
}

function textsOf(addresses: readonly IPAddress[]): string[] {
  return addresses.map(formatIP);
}

type Assignable = Result<Pool, AllocationFailure>;

/** Free addresses of a pool, at most one per family (MetalLB Allocation). */
type Free = Partial<Record<IPFamily, IPAddress>>;

/** The state of one plan: the config, where each address lives, and what is taken so far. */
class PlanRun {
  private readonly locator: PoolLocator;
  private readonly general: Pool[];

  constructor(
    private readonly config: Config,
    readonly ledger: Ledger,
  ) {
    this.locator = new PoolLocator(config);
    this.general = generalPools(config);
  }

  /**
   * A Service that holds IPs (convergeBalancer before allocateIPs): keep them if still allowed,
   * else say why and hand it over to allocation.
   */
  settleHeld(service: AllocationRequest): Held {
    const events: ev.ServiceEvent[] = [];
    const parsed = service.current.ingressIPs.map(parseIP);
    const texts = () => parsed.map((a) => (a === undefined ? GO_NIL_IP : formatIP(a)));
    const heldFamily = familyOfParsed(parsed, texts);
    if (!heldFamily.ok) events.push(ev.noLBIPsFamily(texts(), heldFamily.error));
    if (!service.clusterFamily.ok) {
      events.push(ev.noClusterIPsFamily(service.clusterIPs, service.clusterIP, service.clusterFamily.error));
      return {
        kind: "decided",
        decision: decide(service, "invalidClusterIPs", { kind: "untouched" }, events),
      };
    }
    if (
      !heldFamily.ok ||
      serviceFamilyChanged(heldFamily.value, service.clusterFamily.value, service.familyPolicy)
    ) {
      return { kind: "reallocate", events };
    }
    const addresses = parsed as IPAddress[];
    const assignable = this.assignable(service, addresses);
    let cleared = false;
    if (!assignable.ok) {
      events.push(ev.clearAssignment(service.key, assignable.error.message));
      cleared = true;
    } else if (service.addressPool !== undefined && assignable.value.name !== service.addressPool) {
      cleared = true; // the user asked for another pool
    }
    if (service.requested.kind === "invalid") {
      // MetalLB stops here: the Service keeps what it still validly holds, nothing is allocated.
      events.push(ev.loadBalancerFailed(service.requested.error));
      if (cleared || !assignable.ok) {
        return {
          kind: "decided",
          decision: decide(service, "invalidRequestedIPs", { kind: "clear" }, events),
        };
      }
      this.ledger.reserve(service, assignable.value.name, addresses);
      return {
        kind: "decided",
        decision: decide(service, "invalidRequestedIPs", { kind: "untouched" }, events),
      };
    }
    if (!cleared && service.requested.kind === "ips" && !sameAddressSet(addresses, service.requested.ips)) {
      cleared = true; // the user asked for other IPs
    }
    if (cleared || !assignable.ok) return { kind: "reallocate", events };
    this.ledger.reserve(service, assignable.value.name, addresses);
    return { kind: "kept", kept: { service, ips: addresses, pool: assignable.value, events } };
  }

  /**
   * MetalLB AllocateFromPoolForAdditionalFamily: a PreferDualStack Service holding one family
   * tries to add the other from the same pool. Two guards MetalLB lacks, both to avoid flapping:
   * only when its cluster IPs are dual-stack (else the next pass would clear the second IP as a
   * family change), and not when it requests explicit IPs (else the next pass would see IPs
   * that differ from the requested ones).
   */
  keepWithAdditionalFamily(kept: Kept): ServiceDecision {
    const { service, pool } = kept;
    const events = [...kept.events];
    const family = service.clusterFamily.ok ? service.clusterFamily.value : undefined;
    const existing = kept.ips[0];
    if (
      kept.ips.length !== 1 ||
      existing === undefined ||
      service.familyPolicy !== "PreferDualStack" ||
      family !== "dual" ||
      service.requested.kind !== "none"
    ) {
      return decide(service, "kept", { kind: "hold", ips: kept.ips, pool: pool.name }, events);
    }
    const additional = otherFamily(existing.family);
    const free = this.freeIn(pool, service, [additional])[additional];
    const problem =
      free === undefined
        ? `no available IPs in pool ${pool.name} for ${additional} IPFamily`
        : this.assignProblem(service, [existing, free])?.message;
    if (free === undefined || problem !== undefined) {
      events.push(ev.additionalAssignFailed(problem ?? ""));
      return decide(service, "kept", { kind: "hold", ips: kept.ips, pool: pool.name }, events);
    }
    this.ledger.reserve(service, pool.name, [free]);
    events.push(ev.additionalIPAllocated(formatIP(free)));
    return decide(service, "kept", { kind: "hold", ips: [existing, free], pool: pool.name }, events);
  }

  /** MetalLB allocateIPs, then the IPAllocated / AllocationFailed event. */
  allocate(service: AllocationRequest, before: readonly ev.ServiceEvent[]): ServiceDecision {
    const result = this.allocation(service);
    if (!result.ok) {
      const events = [...before, ev.allocationFailed(service.key, result.error.message)];
      return decide(service, "allocationFailed", { kind: "clear" }, events, result.error);
    }
    const { ips, pool } = result.value;
    this.ledger.reserve(service, pool.name, ips);
    const events = [...before, ev.ipAllocated(textsOf(ips))];
    return decide(service, "allocated", { kind: "hold", ips, pool: pool.name }, events);
  }

  private allocation(
    service: AllocationRequest,
  ): Result<{ ips: IPAddress[]; pool: Pool }, AllocationFailure> {
    if (!service.clusterFamily.ok) return err(plainFailure("invalidClusterIPs", service.clusterFamily.error));
    const family = service.clusterFamily.value;
    const requested = service.requested;
    if (requested.kind === "invalid") return err(plainFailure("invalidRequestedIPs", requested.error));
    if (requested.kind === "ips") {
      const ips = textsOf(requested.ips);
      const texts = goQuoteList(ips);
      if (requested.family !== family) {
        return err({
          code: "requestedFamilyMismatch",
          ips,
          message: `requested loadBalancer IP(s) ${texts} does not match the ipFamily of the service`,
        });
      }
      const assignable = this.assignable(service, requested.ips);
      if (!assignable.ok) return assignable;
      if (service.addressPool !== undefined && assignable.value.name !== service.addressPool) {
        return err({
          code: "requestedPoolMismatch",
          pool: service.addressPool,
          message: `requested loadBalancer IP(s) ${texts} is not compatible with requested address pool ${service.addressPool}`,
        });
      }
      return ok({ ips: [...requested.ips], pool: assignable.value });
    }
    if (service.addressPool !== undefined) {
      const pool = this.config.pools.byName.get(service.addressPool);
      if (pool === undefined)
        return err({
          code: "unknownPool",
          pool: service.addressPool,
          message: `unknown pool ${goQuote(service.addressPool)}`,
        });
      const ips = selectForFamily(this.freeIn(pool, service, familiesOf(family)), family, service, pool.name);
      if (!ips.ok) return ips;
      const assignable = this.assignable(service, ips.value);
      return assignable.ok ? ok({ ips: ips.value, pool }) : assignable;
    }
    const pinnedPools = pinnedPoolsFor(this.config, service);
    const pinned = this.fromPools(pinnedPools, service, family);
    if (pinned !== undefined) return ok(pinned);
    const general = this.fromPools(this.general, service, family);
    if (general !== undefined) return ok(general);
    const tried = [...pinnedPools, ...this.general].map((p) => p.name);
    return err({ code: "noAvailableIPs", pools: tried, message: "no available IPs" });
  }

  /** MetalLB allocateFromPools + findBestPoolForService. */
  private fromPools(
    pools: readonly Pool[],
    service: AllocationRequest,
    family: FamilySet,
  ): { ips: IPAddress[]; pool: Pool } | undefined {
    const primary = service.primaryFamily;
    const secondary = otherFamily(primary);
    const preferDual = service.familyPolicy === "PreferDualStack" && family === "dual";
    let primaryCandidate: { pool: Pool; free: Free } | undefined;
    let secondaryCandidate: { pool: Pool; free: Free } | undefined;
    let best: { pool: Pool; free: Free } | undefined;
    for (const pool of pools) {
      const free = this.freeIn(pool, service, familiesOf(family));
      if (
        (family !== "dual" && free[family] !== undefined) ||
        (free[primary] !== undefined && free[secondary] !== undefined)
      ) {
        best = { pool, free };
        break;
      }
      if (!preferDual) continue;
      if (free[primary] !== undefined) primaryCandidate ??= { pool, free };
      if (free[secondary] !== undefined) secondaryCandidate ??= { pool, free };
    }
    best ??= primaryCandidate ?? secondaryCandidate;
    if (best === undefined) return undefined;
    const ips = selectForFamily(best.free, family, service, best.pool.name);
    if (!ips.ok || this.assignProblem(service, ips.value) !== undefined) return undefined;
    return { ips: ips.value, pool: best.pool };
  }

  /** The lowest address per wanted family, walking the pool's prefixes in listed order. */
  private freeIn(pool: Pool, service: AllocationRequest, families: readonly IPFamily[]): Free {
    const free: Free = {};
    pool.cidrs.forEach((cidr, index) => {
      if (!families.includes(cidr.family) || free[cidr.family] !== undefined) return;
      const address = this.ledger.lowestAvailable(pool, index, service);
      if (address !== undefined) free[cidr.family] = address;
    });
    return free;
  }

  /**
   * MetalLB Assign's checks, without assigning: one pool holds every address, the pool admits
   * the Service, at most two addresses of different families, and the sharing rules.
   */
  private assignable(service: AllocationRequest, addresses: readonly IPAddress[]): Assignable {
    const pool = addresses.length === 0 ? undefined : this.locator.poolFor(addresses);
    if (pool === undefined) {
      const ips = textsOf(addresses);
      return err({ code: "ipNotInAnyPool", ips, message: `${goQuoteList(ips)} is not allowed in config` });
    }
    const problem = this.problemIn(pool, service, addresses);
    return problem === undefined ? ok(pool) : err(problem);
  }

  private assignProblem(
    service: AllocationRequest,
    addresses: readonly IPAddress[],
  ): AllocationFailure | undefined {
    const result = this.assignable(service, addresses);
    return result.ok ? undefined : result.error;
  }

  private problemIn(
    pool: Pool,
    service: AllocationRequest,
    addresses: readonly IPAddress[],
  ): AllocationFailure | undefined {
    if (!poolAdmits(pool, service))
      return {
        code: "poolNotCompatible",
        pool: pool.name,
        message: `pool ${pool.name} not compatible for ip assignment`,
      };
    if (addresses.length > 2)
      return plainFailure("tooManyAddresses", `more than two addresses ${goQuoteList(textsOf(addresses))}`);
    const [a, b] = addresses;
    if (a !== undefined && b !== undefined && a.family === b.family) {
      return plainFailure(
        "sameFamily",
        `${goQuote(formatIP(a))} ${goQuote(formatIP(b))} has the same family`,
      );
    }
    for (const address of addresses) {
      const problem = this.ledger.sharingConflict(service, address);
      if (problem !== undefined) return problem;
    }
    return undefined;
  }
}

function familiesOf(family: FamilySet): IPFamily[] {
  return family === "dual" ? ["ipv4", "ipv6"] : [family];
}

/**
 * MetalLB selectIPsForFamilyAndPolicy: the cluster-IP family decides (0.15.0: even
 * PreferDualStack Services get IPs matching their cluster IPs); dual-stack Services get both,
 * IPv4 first, or with PreferDualStack whatever the pool has.
 */
function selectForFamily(
  free: Free,
  family: FamilySet,
  service: AllocationRequest,
  pool: string,
): Result<IPAddress[], AllocationFailure> {
  const { ipv4, ipv6 } = free;
  if (family !== "dual") {
    const ip = free[family];
    if (ip !== undefined) return ok([ip]);
  } else if (ipv4 !== undefined && ipv6 !== undefined && service.familyPolicy !== "SingleStack") {
    return ok([ipv4, ipv6]);
  } else if (service.familyPolicy === "PreferDualStack" && (ipv4 ?? ipv6) !== undefined) {
    return ok([(ipv4 ?? ipv6) as IPAddress]);
  }
  return err({
    code: "poolExhausted",
    pool,
    family,
    message: `no available IPs in pool ${pool} for ${family} IPFamily`,
  });
}

function sameAddressSet(a: readonly IPAddress[], b: readonly IPAddress[]): boolean {
  if (a.length !== b.length) return false;
  const key = (x: IPAddress) => `${x.family}:${x.value}`;
  const set = new Set(a.map(key));
  return b.every((x) => set.has(key(x)));
}
