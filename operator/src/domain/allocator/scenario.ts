import { expect } from "bun:test";
import type { Namespace, Service } from "../api/core.ts";
import type { IPAddressPool } from "../api/ip-address-pool.ts";
import { validConfig } from "../config/testing.ts";
import type { AllocationPlan } from "./decision.ts";
import type { PlanOptions } from "./plan.ts";
import { applied, externalIPs, keyOf, planFor } from "./testing.ts";

/**
 * MetalLB-style sequential scenario tables: each step changes the cluster (pools, Services),
 * runs the plan, applies its writes, and checks the External IPs and Events of some Services.
 * Every step builds on the state the previous one left.
 */
export interface Step {
  readonly desc: string;
  readonly pools?: readonly IPAddressPool[];
  readonly namespaces?: readonly Namespace[];
  readonly apply?: readonly Service[];
  readonly remove?: readonly string[];
  readonly options?: PlanOptions;
  /** key -> "ip[,ip]" or "<pending>", for the Services listed. */
  readonly ips: Readonly<Record<string, string>>;
  /** key -> the Events of this step, as "Reason: message" (exactly these, in order). */
  readonly events?: Readonly<Record<string, readonly string[]>>;
}

export function runScenario(steps: readonly Step[]): AllocationPlan | undefined {
  let pools: readonly IPAddressPool[] = [];
  let namespaces: readonly Namespace[] = [];
  let services: Service[] = [];
  let plan: AllocationPlan | undefined;
  for (const step of steps) {
    pools = step.pools ?? pools;
    namespaces = step.namespaces ?? namespaces;
    for (const service of step.apply ?? []) {
      services = [...services.filter((s) => keyOf(s) !== keyOf(service)), service];
    }
    services = services.filter((s) => !(step.remove ?? []).includes(keyOf(s)));
    plan = planFor(validConfig({ ipAddressPools: pools, namespaces }), services, step.options);
    services = applied(services, plan);
    const shown = externalIPs(services);
    const wanted = Object.fromEntries(Object.keys(step.ips).map((k) => [k, shown[k]]));
    expect({ step: step.desc, ips: wanted }).toEqual({ step: step.desc, ips: { ...step.ips } });
    for (const [key, events] of Object.entries(step.events ?? {})) {
      const got = plan.decisions.find((d) => d.key === key)?.events.map((e) => `${e.reason}: ${e.message}`);
      expect({ step: step.desc, key, events: got }).toEqual({ step: step.desc, key, events: [...events] });
    }
  }
  return plan;
}
