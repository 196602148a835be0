import { describe, expect, test } from "bun:test";
import type { Service } from "../api/core.ts";
import { aNamespace, aPool, validConfig } from "../config/testing.ts";
import { applied, aService, externalIPs, planFor } from "./testing.ts";

/** A seeded PRNG for shuffles (tests only: the domain itself never uses randomness). */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const random = prng(seed);
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Every permutation (Heap's algorithm), as cilium's TestHappyPathPermutations does. */
function permutations<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  const a = [...items];
  const c = new Array<number>(a.length).fill(0);
  out.push([...a]);
  for (let i = 0; i < a.length; ) {
    if ((c[i] ?? 0) < i) {
      const j = i % 2 === 0 ? 0 : (c[i] ?? 0);
      [a[j], a[i]] = [a[i]!, a[j]!];
      out.push([...a]);
      c[i] = (c[i] ?? 0) + 1;
      i = 0;
    } else {
      c[i] = 0;
      i++;
    }
  }
  return out;
}

const config = validConfig({
  ipAddressPools: [
    aPool("a-small", { addresses: ["10.0.0.0/29"] }),
    aPool("b-dual", { addresses: ["10.1.0.0/28", "fd00:1::/124"] }),
    aPool("c-team", { addresses: ["10.2.0.0/30"], serviceAllocation: { priority: 1, namespaces: ["team"] } }),
    aPool("d-manual", { addresses: ["10.3.0.0/24", "fd00:3::/64"], autoAssign: false, avoidBuggyIPs: true }),
  ],
  namespaces: [aNamespace("team"), aNamespace("default")],
});

/** A mixed population: plain, shared, dual-stack, pinned, requested, failing. */
function population(): Service[] {
  const services: Service[] = [];
  for (let i = 0; i < 12; i++) services.push(aService(`plain-${i}`));
  for (let i = 0; i < 4; i++) {
    services.push(
      aService(`shared-${i}`, {
        annotations: { "metallb.io/allow-shared-ip": "web" },
        ports: [`TCP/${80 + (i % 2)}`],
      }),
    );
  }
  services.push(aService("dual", { clusterIPs: ["10.96.0.1", "fd00::1"], policy: "RequireDualStack" }));
  services.push(
    aService("pref", {
      clusterIPs: ["10.96.0.2", "fd00::2"],
      policy: "PreferDualStack",
      families: ["IPv6", "IPv4"],
    }),
  );
  for (let i = 0; i < 5; i++) services.push(aService(`t-${i}`, { namespace: "team" }));
  services.push(aService("req", { annotations: { "metallb.io/loadBalancerIPs": "10.3.0.77" } }));
  services.push(
    aService("req6", { clusterIPs: ["fd00::9"], annotations: { "metallb.io/address-pool": "d-manual" } }),
  );
  services.push(aService("bad", { annotations: { "metallb.io/loadBalancerIPs": "nope" } }));
  services.push(aService("clusterip", { type: "ClusterIP" }));
  return services;
}

describe("idempotence", () => {
  test("running the plan on its own output asks for no write, and settles", () => {
    const first = planFor(config, population());
    expect(first.decisions.some((d) => d.reason === "allocationFailed")).toBe(true);
    const once = applied(population(), first);
    const second = planFor(config, once);
    expect(second.decisions.filter((d) => d.write !== undefined)).toEqual([]);
    const third = planFor(config, applied(once, second));
    expect(third).toEqual(second);
    // Only failures keep reporting (MetalLB re-emits them on every pass); successes stay quiet.
    const noisy = second.decisions
      .filter((d) => d.events.length > 0)
      .map((d) => [d.key, d.events.map((e) => e.reason)]);
    expect(noisy).toEqual(
      second.decisions
        .filter(
          (d) =>
            d.reason === "allocationFailed" || d.events.some((e) => e.reason === "AdditionalAssignFailed"),
        )
        .map((d) => [d.key, d.events.map((e) => e.reason)]),
    );
  });
});

describe("order independence", () => {
  test("with existing assignments, any input order gives the same plan", () => {
    const settled = applied(population(), planFor(config, population()));
    const withNew = [...settled, aService("late-1"), aService("late-2", { namespace: "team" })];
    const reference = planFor(config, withNew);
    for (const seed of [1, 2, 3, 42, 1234])
      expect(planFor(config, shuffled(withNew, seed))).toEqual(reference);
    expect(planFor(config, [...withNew].reverse())).toEqual(reference);
  });

  test("every permutation of a small cluster gives one result (cilium-style)", () => {
    const small = validConfig({ ipAddressPools: [aPool("p", { addresses: ["10.0.0.0/30"] })] });
    const services = [
      aService("a", { ingress: ["10.0.0.2"], fromPool: "p" }),
      aService("b"),
      aService("c", { annotations: { "metallb.io/loadBalancerIPs": "10.0.0.0" } }),
      aService("d", { ingress: ["10.0.0.2"], fromPool: "p" }),
      aService("e"),
    ];
    const reference = planFor(small, services);
    // a keeps .2 (first by key among holders); d loses it and, as a former holder, is re-allocated
    // before the newcomers, so it takes .0, which c then asks for in vain.
    expect(externalIPs(applied(services, reference))).toEqual({
      "default/a": "10.0.0.2",
      "default/b": "10.0.0.1",
      "default/c": "<pending>",
      "default/d": "10.0.0.0",
      "default/e": "10.0.0.3",
    });
    for (const order of permutations(services)) expect(planFor(small, order)).toEqual(reference);
  });

  test("the order pools are listed in does not matter", () => {
    const pools = [
      aPool("z", { addresses: ["10.9.0.0/24"] }),
      aPool("m", { addresses: ["10.8.0.0/24"] }),
      aPool("a", { addresses: ["10.7.0.0/24"] }),
    ];
    const services = [aService("s1"), aService("s2")];
    const one = planFor(validConfig({ ipAddressPools: pools }), services);
    const two = planFor(validConfig({ ipAddressPools: [...pools].reverse() }), services);
    expect(one).toEqual(two);
    expect(one.decisions.map((d) => d.ips[0])).toEqual(["10.7.0.0", "10.7.0.1"]);
  });
});

describe("restarts never move an IP", () => {
  test("IPs held from a previous life are kept even where a fresh run would choose others", () => {
    const held = [
      aService("x", { ingress: ["10.0.0.5"], fromPool: "a-small" }),
      aService("y", { ingress: ["10.0.0.3"], fromPool: "a-small" }),
      aService("z", {
        ingress: ["10.1.0.9", "fd00:1::9"],
        fromPool: "b-dual",
        clusterIPs: ["10.96.0.3", "fd00::3"],
        policy: "RequireDualStack",
      }),
    ];
    const fresh = [
      aService("a"),
      aService("b"),
      aService("c", { annotations: { "metallb.io/loadBalancerIPs": "10.0.0.5" } }),
    ];
    const plan = planFor(config, [...fresh, ...held]);
    const byKey = Object.fromEntries(plan.decisions.map((d) => [d.key, d]));
    for (const key of ["default/x", "default/y", "default/z"]) {
      expect(byKey[key]).toMatchObject({ reason: "kept", write: undefined });
    }
    expect(byKey["default/a"]?.ips).toEqual(["10.0.0.0"]);
    expect(byKey["default/b"]?.ips).toEqual(["10.0.0.1"]);
    expect(byKey["default/c"]?.events.map((e) => e.message)).toEqual([
      `Failed to allocate IP for "default/c": can't change sharing key for "default/c", address also in use by default/x`,
    ]);
  });
});
