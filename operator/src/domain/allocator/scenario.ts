import type { Namespace, Service } from "../api/core.ts";
import type { IPAddressPool } from "../api/ip-address-pool.ts";
import { validConfig } from "../config/testing.ts";
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

/** What one step showed, in the shape of what it expected (so a test diff reads naturally). */
export interface StepOutcome {
  readonly step: string;
  readonly ips: Readonly<Record<string, string>>;
  readonly events: Readonly<Record<string, readonly string[] | undefined>>;
}

/**
 * Runs the steps and returns what they showed next to what they expected; the test asserts
 * `expect(actual).toEqual(expected)` (domain/ code may not import bun:test).
 */
export function runScenario(steps: readonly Step[]): { actual: StepOutcome[]; expected: StepOutcome[] } {
  let pools: readonly IPAddressPool[] = [];
  let namespaces: readonly Namespace[] = [];
  let services: Service[] = [];
  const actual: StepOutcome[] = [];
  const expected: StepOutcome[] = [];
  for (const step of steps) {
    pools = step.pools ?? pools;
    namespaces = step.namespaces ?? namespaces;
    for (const service of step.apply ?? []) {
      services = [...services.filter((s) => keyOf(s) !== keyOf(service)), service];
    }
    services = services.filter((s) => !(step.remove ?? []).includes(keyOf(s)));
    const plan = planFor(validConfig({ ipAddressPools: pools, namespaces }), services, step.options);
    services = applied(services, plan);
    const shown = externalIPs(services);
    const events = Object.fromEntries(
      Object.keys(step.events ?? {}).map((key) => [
        key,
        plan.decisions.find((d) => d.key === key)?.events.map((e) => `${e.reason}: ${e.message}`),
      ]),
    );
    actual.push({
      step: step.desc,
      ips: Object.fromEntries(Object.keys(step.ips).map((k) => [k, shown[k] ?? "<none>"])),
      events,
    });
    expected.push({ step: step.desc, ips: step.ips, events: step.events ?? {} });
  }
  return { actual, expected };
}
