import { describe, expect, test } from "bun:test";
import { aNamespace, aPool, validConfig } from "../config/testing.ts";
import { runScenario, type Step } from "./scenario.ts";
import { applied, aService, planFor } from "./testing.ts";

const ns = "default/";

function expectScenario(steps: readonly Step[]): void {
  const { actual, expected } = runScenario(steps);
  expect(actual).toEqual(expected);
}

describe("the seed lab", () => {
  test("svc1..svc3 get the first addresses of 172.18.255.200-172.18.255.250", () => {
    expectScenario([
      {
        desc: "pool, then three Services",
        pools: [aPool("my-ippool", { addresses: ["172.18.255.200-172.18.255.250"] })],
        apply: ["svc1", "svc2", "svc3"].map((n) => aService(n, { selector: { app: "webpod" } })),
        ips: {
          [`${ns}svc1`]: "172.18.255.200",
          [`${ns}svc2`]: "172.18.255.201",
          [`${ns}svc3`]: "172.18.255.202",
        },
        events: {
          [`${ns}svc1`]: ['IPAllocated: Assigned IP ["172.18.255.200"]'],
          [`${ns}svc3`]: ['IPAllocated: Assigned IP ["172.18.255.202"]'],
        },
      },
    ]);
  });
});

describe("sequential scenarios", () => {
  test("lowest free address, deletion frees, exhaustion, shrink, avoidBuggyIPs, no pools", () => {
    const small = aPool("p", { addresses: ["10.0.0.0-10.0.0.3"] });
    expectScenario([
      { desc: "first", pools: [small], apply: [aService("a")], ips: { [`${ns}a`]: "10.0.0.0" } },
      { desc: "second", apply: [aService("b")], ips: { [`${ns}a`]: "10.0.0.0", [`${ns}b`]: "10.0.0.1" } },
      {
        desc: "delete a: b does not move",
        remove: [`${ns}a`],
        ips: { [`${ns}b`]: "10.0.0.1" },
        events: { [`${ns}b`]: [] },
      },
      { desc: "c takes the freed lowest", apply: [aService("c")], ips: { [`${ns}c`]: "10.0.0.0" } },
      {
        desc: "fill, then exhaust",
        apply: [aService("d"), aService("e"), aService("f")],
        ips: { [`${ns}d`]: "10.0.0.2", [`${ns}e`]: "10.0.0.3", [`${ns}f`]: "<pending>" },
        events: { [`${ns}f`]: ['AllocationFailed: Failed to allocate IP for "default/f": no available IPs'] },
      },
      {
        desc: "deleting c lets f in",
        remove: [`${ns}c`],
        ips: { [`${ns}f`]: "10.0.0.0" },
        events: { [`${ns}f`]: ['IPAllocated: Assigned IP ["10.0.0.0"]'] },
      },
      {
        desc: "shrink: d and e are cleared and cannot be re-allocated",
        pools: [aPool("p", { addresses: ["10.0.0.0/31"] })],
        ips: {
          [`${ns}b`]: "10.0.0.1",
          [`${ns}d`]: "<pending>",
          [`${ns}e`]: "<pending>",
          [`${ns}f`]: "10.0.0.0",
        },
        events: {
          [`${ns}d`]: [
            'ClearAssignment: current IP for "default/d" not allowed by config, will attempt for new IP assignment: ["10.0.0.2"] is not allowed in config',
            'AllocationFailed: Failed to allocate IP for "default/d": no available IPs',
          ],
        },
      },
      {
        desc: "grow with avoidBuggyIPs: f's .0 is no longer allowed; held Services go first",
        pools: [aPool("p", { addresses: ["10.0.0.0/24"], avoidBuggyIPs: true })],
        ips: {
          [`${ns}b`]: "10.0.0.1",
          [`${ns}f`]: "10.0.0.2",
          [`${ns}d`]: "10.0.0.3",
          [`${ns}e`]: "10.0.0.4",
        },
        events: {
          [`${ns}f`]: [
            'ClearAssignment: current IP for "default/f" not allowed by config, will attempt for new IP assignment: ["10.0.0.0"] is not allowed in config',
            'IPAllocated: Assigned IP ["10.0.0.2"]',
          ],
        },
      },
      {
        desc: "deleting every pool clears every Service",
        pools: [],
        ips: {
          [`${ns}b`]: "<pending>",
          [`${ns}d`]: "<pending>",
          [`${ns}e`]: "<pending>",
          [`${ns}f`]: "<pending>",
        },
        events: { [`${ns}b`]: [] },
      },
    ]);
  });

  test("IP sharing: same key, disjoint ports, identical backends for ETP Local", () => {
    const key = (k: string) => ({ "metallb.io/allow-shared-ip": k });
    expectScenario([
      {
        desc: "a",
        pools: [aPool("share", { addresses: ["10.0.1.0/24"] })],
        apply: [aService("a", { annotations: key("k"), ports: ["TCP/80"] })],
        ips: { [`${ns}a`]: "10.0.1.0" },
      },
      {
        desc: "b shares a's IP (other port)",
        apply: [aService("b", { annotations: key("k"), ports: ["TCP/443"] })],
        ips: { [`${ns}b`]: "10.0.1.0" },
      },
      {
        desc: "c cannot (port 80 taken there): next address",
        apply: [aService("c", { annotations: key("k"), ports: ["TCP/80"] })],
        ips: { [`${ns}c`]: "10.0.1.1" },
      },
      {
        desc: "d does not share",
        apply: [aService("d", { ports: ["TCP/8080"] })],
        ips: { [`${ns}d`]: "10.0.1.2" },
      },
      {
        desc: "e: UDP/80 is not TCP/80",
        apply: [aService("e", { annotations: key("k"), ports: ["UDP/80", "TCP/8443"] })],
        ips: { [`${ns}e`]: "10.0.1.0" },
      },
      {
        desc: "f asks for a's IP with a port in use",
        apply: [
          aService("f", {
            annotations: { ...key("k"), "metallb.io/loadBalancerIPs": "10.0.1.0" },
            ports: ["TCP/443"],
          }),
        ],
        ips: { [`${ns}f`]: "<pending>" },
        events: {
          [`${ns}f`]: [
            'AllocationFailed: Failed to allocate IP for "default/f": port TCP/443 is already in use on "10.0.1.0"',
          ],
        },
      },
      {
        desc: "g asks for it with another key",
        apply: [
          aService("g", {
            annotations: { ...key("other"), "metallb.io/loadBalancerIPs": "10.0.1.0" },
            ports: ["TCP/9"],
          }),
        ],
        ips: { [`${ns}g`]: "<pending>" },
        events: {
          [`${ns}g`]: [
            `AllocationFailed: Failed to allocate IP for "default/g": can't change sharing key for "default/g", address also in use by default/a,default/b,default/e`,
          ],
        },
      },
      {
        desc: "h: ETP Local cannot join an ETP Cluster IP",
        apply: [
          aService("h", {
            annotations: { ...key("k"), "metallb.io/loadBalancerIPs": "10.0.1.1" },
            etp: "Local",
            ports: ["TCP/9"],
          }),
        ],
        ips: { [`${ns}h`]: "<pending>" },
        events: {
          [`${ns}h`]: [
            `AllocationFailed: Failed to allocate IP for "default/h": can't change sharing key for "default/h", address also in use by default/c`,
          ],
        },
      },
      {
        desc: "i and j: ETP Local with identical selectors share",
        apply: [
          aService("i", {
            annotations: key("l"),
            etp: "Local",
            selector: { app: "shared" },
            ports: ["TCP/80"],
          }),
          aService("j", {
            annotations: key("l"),
            etp: "Local",
            selector: { app: "shared" },
            ports: ["TCP/81"],
          }),
        ],
        ips: { [`${ns}i`]: "10.0.1.3", [`${ns}j`]: "10.0.1.3" },
      },
      {
        desc: "k: same key, other selector: not shareable",
        apply: [
          aService("k", {
            annotations: key("l"),
            etp: "Local",
            selector: { app: "other" },
            ports: ["TCP/82"],
          }),
        ],
        ips: { [`${ns}k`]: "10.0.1.4" },
      },
      {
        desc: "a, b, e leave: the freed .0 goes to the next newcomer; c stays",
        remove: [`${ns}a`, `${ns}b`, `${ns}e`],
        apply: [aService("m", { annotations: key("k"), ports: ["TCP/80"] })],
        ips: { [`${ns}c`]: "10.0.1.1", [`${ns}m`]: "10.0.1.0" },
      },
    ]);
  });

  test("dual-stack: SingleStack, RequireDualStack, PreferDualStack, ipFamilies order, the missing family later", () => {
    const v4 = ["10.96.0.1"];
    const v6 = ["fd00::1"];
    const dual = ["10.96.0.2", "fd00::2"];
    const pools = [
      aPool("a-v4", { addresses: ["10.1.0.0/24"] }),
      aPool("b-dual", { addresses: ["10.2.0.0/24", "fd00:2::/120"] }),
      aPool("c-v6", { addresses: ["fd00:3::/120"], autoAssign: false }),
    ];
    expectScenario([
      {
        desc: "single-stack Services take their family from the first pool (by name) that has it",
        pools,
        apply: [aService("s4", { clusterIPs: v4 }), aService("s6", { clusterIPs: v6 })],
        ips: { [`${ns}s4`]: "10.1.0.0", [`${ns}s6`]: "fd00:2::" },
      },
      {
        desc: "RequireDualStack needs one pool with both families",
        apply: [aService("req", { clusterIPs: dual, policy: "RequireDualStack" })],
        ips: { [`${ns}req`]: "10.2.0.0,fd00:2::1" },
        events: { [`${ns}req`]: ['IPAllocated: Assigned IP ["10.2.0.0" "fd00:2::1"]'] },
      },
      {
        desc: "PreferDualStack prefers a pool with both",
        apply: [aService("pref", { clusterIPs: dual, policy: "PreferDualStack" })],
        ips: { [`${ns}pref`]: "10.2.0.1,fd00:2::2" },
      },
      {
        desc: "PreferDualStack, IPv6 primary, from a v6-only pool by annotation: one IP",
        apply: [
          aService("pref6", {
            clusterIPs: ["fd00::3", "10.96.0.3"],
            policy: "PreferDualStack",
            families: ["IPv6", "IPv4"],
            annotations: { "metallb.io/address-pool": "c-v6" },
          }),
        ],
        ips: { [`${ns}pref6`]: "fd00:3::" },
      },
      {
        desc: "the pool gains IPv4: the missing family is added from the same pool",
        pools: [
          pools[0]!,
          pools[1]!,
          aPool("c-v6", { addresses: ["fd00:3::/120", "10.3.0.0/24"], autoAssign: false }),
        ],
        ips: { [`${ns}pref6`]: "fd00:3::,10.3.0.0" },
        events: { [`${ns}pref6`]: ['IPAllocated: Assigned additional IP "10.3.0.0"'] },
      },
      {
        desc: "RequireDualStack with a single cluster IP",
        apply: [aService("one", { clusterIPs: v4, policy: "RequireDualStack" })],
        ips: { [`${ns}one`]: "<pending>" },
        events: {
          [`${ns}one`]: [
            "not enough clusterips: Service requires dual stack but not enough clusterips [10.96.0.1]",
          ],
        },
      },
      {
        desc: "no dual pool with room: RequireDualStack fails, PreferDualStack falls back to one family",
        pools: [pools[0]!, aPool("b-dual", { addresses: ["10.2.0.0/31", "fd00:2::/126"] })],
        apply: [
          aService("req2", { clusterIPs: dual, policy: "RequireDualStack" }),
          aService("pref2", { clusterIPs: dual, policy: "PreferDualStack" }),
        ],
        ips: { [`${ns}req2`]: "<pending>", [`${ns}pref2`]: "10.1.0.1", [`${ns}req`]: "10.2.0.0,fd00:2::1" },
        events: {
          [`${ns}req2`]: ['AllocationFailed: Failed to allocate IP for "default/req2": no available IPs'],
        },
      },
    ]);
  });

  test("pool choice: priority, namespaces, selectors, autoAssign, annotation; fallback when pinned pools are full", () => {
    const pools = [
      aPool("general-b", { addresses: ["10.10.0.0/24"] }),
      aPool("general-a", { addresses: ["10.11.0.0/24"] }),
      aPool("manual", { addresses: ["10.12.0.0/24"], autoAssign: false }),
      aPool("ns-prio-10", {
        addresses: ["10.13.0.0/24"],
        serviceAllocation: { priority: 10, namespaces: ["team"] },
      }),
      aPool("ns-prio-5", {
        addresses: ["10.14.0.0/31"],
        serviceAllocation: { priority: 5, namespaceSelectors: [{ matchLabels: { tier: "gold" } }] },
      }),
      aPool("sel", {
        addresses: ["10.15.0.0/24"],
        serviceAllocation: { serviceSelectors: [{ matchLabels: { app: "special" } }] },
      }),
    ];
    const namespaces = [aNamespace("team", { tier: "gold" }), aNamespace("other")];
    expectScenario([
      {
        desc: "unpinned: the general autoAssign pools, by name",
        pools,
        namespaces,
        apply: [aService("plain")],
        ips: { [`${ns}plain`]: "10.11.0.0" },
      },
      {
        desc: "pinned by namespace: lower priority number first",
        apply: [aService("x", { namespace: "team" })],
        ips: { "team/x": "10.14.0.0" },
      },
      {
        desc: "pinned by selector and namespace: priority 5 still wins over 10 and 0",
        apply: [aService("special", { namespace: "team", labels: { app: "special" } })],
        ips: { "team/special": "10.14.0.1" },
      },
      {
        desc: "priority-5 pool is full: the priority-10 one is next",
        apply: [aService("y", { namespace: "team" })],
        ips: { "team/y": "10.13.0.0" },
      },
      {
        desc: "pinned by selector only",
        apply: [aService("special", { namespace: "other", labels: { app: "special" } })],
        ips: { "other/special": "10.15.0.0" },
      },
      {
        desc: "autoAssign false: only by annotation or requested IP",
        apply: [
          aService("m", { annotations: { "metallb.io/address-pool": "manual" } }),
          aService("q", { annotations: { "metallb.io/loadBalancerIPs": "10.12.0.9" } }),
        ],
        ips: { [`${ns}m`]: "10.12.0.0", [`${ns}q`]: "10.12.0.9" },
      },
      {
        desc: "a namespace-restricted pool refuses other namespaces, even by annotation",
        apply: [
          aService("n", { namespace: "other", annotations: { "metallb.io/address-pool": "ns-prio-10" } }),
        ],
        ips: { "other/n": "<pending>" },
        events: {
          "other/n": [
            'AllocationFailed: Failed to allocate IP for "other/n": pool ns-prio-10 not compatible for ip assignment',
          ],
        },
      },
      {
        desc: "changing the address-pool annotation moves the Service",
        apply: [aService("plain", { annotations: { "metallb.io/address-pool": "general-b" } })],
        ips: { [`${ns}plain`]: "10.10.0.0" },
        events: { [`${ns}plain`]: ['IPAllocated: Assigned IP ["10.10.0.0"]'] },
      },
      {
        desc: "the namespace loses its label: team/x's pool no longer admits it",
        namespaces: [aNamespace("team"), aNamespace("other")],
        ips: { "team/special": "10.13.0.1", "team/x": "10.13.0.2", "team/y": "10.13.0.0" },
        events: {
          "team/x": [
            'ClearAssignment: current IP for "team/x" not allowed by config, will attempt for new IP assignment: pool ns-prio-5 not compatible for ip assignment',
            'IPAllocated: Assigned IP ["10.13.0.2"]',
          ],
        },
      },
    ]);
  });

  test("--lb-class: only the Services of this controller's class are touched", () => {
    const pools = [aPool("p", { addresses: ["10.0.0.0/24"] })];
    expectScenario([
      {
        desc: "no --lb-class: class-less Services only",
        pools,
        apply: [
          aService("mine"),
          aService("theirs", { loadBalancerClass: "other.io/lb", ingress: ["192.0.2.7"] }),
        ],
        ips: { [`${ns}mine`]: "10.0.0.0", [`${ns}theirs`]: "192.0.2.7" },
      },
      {
        desc: "--lb-class set (another controller, its own pool): exact match only",
        options: { loadBalancerClass: "other.io/lb" },
        pools: [aPool("q", { addresses: ["10.0.9.0/24"] })],
        apply: [aService("c2", { loadBalancerClass: "other.io/lb" })],
        ips: { [`${ns}mine`]: "10.0.0.0", [`${ns}theirs`]: "10.0.9.0", [`${ns}c2`]: "10.0.9.1" },
        events: {
          [`${ns}mine`]: [],
          [`${ns}theirs`]: [
            'ClearAssignment: current IP for "default/theirs" not allowed by config, will attempt for new IP assignment: ["192.0.2.7"] is not allowed in config',
            'IPAllocated: Assigned IP ["10.0.9.0"]',
          ],
        },
      },
    ]);
  });

  test("a Service that stops being a LoadBalancer is cleared and its IP freed", () => {
    expectScenario([
      {
        desc: "lb",
        pools: [aPool("p", { addresses: ["10.0.0.0/30"] })],
        apply: [aService("a")],
        ips: { [`${ns}a`]: "10.0.0.0" },
      },
      {
        desc: "type change",
        apply: [aService("a", { type: "ClusterIP", ingress: ["10.0.0.0"], fromPool: "p" }), aService("b")],
        ips: { [`${ns}a`]: "<pending>", [`${ns}b`]: "10.0.0.0" },
        events: { [`${ns}a`]: [] },
      },
    ]);
  });
});

describe("writes and pool status", () => {
  test("status, annotation, legacy annotation removal, deprecated-annotation events only with a write", () => {
    const config = validConfig({ ipAddressPools: [aPool("p", { addresses: ["10.0.0.0/30", "fd00::/64"] })] });
    const plan = planFor(config, [
      aService("new", { annotations: { "metallb.universe.tf/address-pool": "p" } }),
      aService("held", {
        ingress: ["10.0.0.3"],
        fromPool: "p",
        annotations: { "metallb.universe.tf/allow-shared-ip": "x" },
      }),
      aService("legacy", {
        ingress: ["10.0.0.2"],
        annotations: { "metallb.universe.tf/ip-allocated-from-pool": "p" },
      }),
    ]);
    const byKey = Object.fromEntries(plan.decisions.map((d) => [d.key, d]));
    expect(byKey["default/new"]).toMatchObject({
      reason: "allocated",
      ips: ["10.0.0.0"],
      pool: "p",
      write: { ingressIPs: ["10.0.0.0"], allocatedFromPool: "p" },
    });
    expect(byKey["default/new"]!.events.map((e) => [e.type, e.reason, e.message])).toEqual([
      ["Normal", "IPAllocated", 'Assigned IP ["10.0.0.0"]'],
      [
        "Warning",
        "deprecatedAnnotation",
        "Service uses deprecated annotation metallb.universe.tf/address-pool",
      ],
    ]);
    expect(byKey["default/held"]).toMatchObject({ reason: "kept", write: undefined, events: [] });
    expect(byKey["default/legacy"]).toMatchObject({
      reason: "kept",
      write: { ingressIPs: ["10.0.0.2"], allocatedFromPool: "p" },
      events: [
        {
          type: "Warning",
          reason: "deprecatedAnnotation",
          message: "Service uses deprecated annotation metallb.universe.tf/ip-allocated-from-pool",
        },
      ],
    });
    expect(plan.pools.get("p")).toEqual({
      assignedIPv4: 3,
      assignedIPv6: 0,
      availableIPv4: 1,
      availableIPv6: Number.MAX_SAFE_INTEGER,
    });
  });

  test("a shared IP counts once; non-canonical status text is rewritten canonically", () => {
    const config = validConfig({ ipAddressPools: [aPool("p", { addresses: ["fd00::/120"] })] });
    const share = { "metallb.io/allow-shared-ip": "k" };
    const services = [
      aService("a", {
        clusterIPs: ["fd00::9"],
        annotations: share,
        ports: ["TCP/1"],
        ingress: ["FD00:0::5"],
        fromPool: "p",
      }),
      aService("b", {
        clusterIPs: ["fd00::9"],
        annotations: share,
        ports: ["TCP/2"],
        ingress: ["fd00::5"],
        fromPool: "p",
      }),
    ];
    const plan = planFor(config, services);
    expect(plan.decisions.map((d) => [d.key, d.ips, d.write?.ingressIPs])).toEqual([
      ["default/a", ["fd00::5"], ["fd00::5"]],
      ["default/b", ["fd00::5"], undefined],
    ]);
    expect(plan.pools.get("p")).toEqual({
      assignedIPv4: 0,
      assignedIPv6: 1,
      availableIPv4: 0,
      availableIPv6: 255,
    });
    expect(applied(services, plan)[0]?.status?.loadBalancer?.ingress).toEqual([{ ip: "fd00::5" }]);
  });
});

describe("typed failures", () => {
  test("each failed allocation says which rule refused, with what stands in the way", () => {
    const small = validConfig({ ipAddressPools: [aPool("small", { addresses: ["10.0.0.0/32"] })] });
    const full = planFor(small, [aService("a"), aService("b")]);
    expect(full.decisions[1]?.failure).toEqual({
      code: "noAvailableIPs",
      pools: ["small"],
      message: "no available IPs",
    });
    const outside = planFor(small, [
      aService("c", { annotations: { "metallb.io/loadBalancerIPs": "192.0.2.1" } }),
    ]);
    expect(outside.decisions[0]?.failure?.code).toBe("ipNotInAnyPool");
    const v6 = planFor(small, [aService("d", { annotations: { "metallb.io/loadBalancerIPs": "fc00::1" } })]);
    expect(v6.decisions[0]?.failure?.code).toBe("requestedFamilyMismatch");
    const ports = planFor(small, [
      aService("e", { annotations: { "metallb.io/allow-shared-ip": "k" }, selector: { app: "x" } }),
      aService("f", { annotations: { "metallb.io/allow-shared-ip": "k" }, selector: { app: "x" } }),
    ]);
    expect(ports.decisions[1]?.failure).toMatchObject({ code: "noAvailableIPs" });
    const pinned = planFor(small, [
      aService("g", {
        annotations: { "metallb.io/allow-shared-ip": "k", "metallb.io/loadBalancerIPs": "10.0.0.0" },
      }),
      aService("h", {
        annotations: { "metallb.io/allow-shared-ip": "k", "metallb.io/loadBalancerIPs": "10.0.0.0" },
      }),
    ]);
    expect(pinned.decisions[1]?.failure).toMatchObject({
      code: "portInUse",
      port: "TCP/80",
      service: "default/g",
    });
    const keys = planFor(small, [
      aService("k", {
        annotations: { "metallb.io/allow-shared-ip": "k1", "metallb.io/loadBalancerIPs": "10.0.0.0" },
      }),
      aService("l", {
        annotations: { "metallb.io/allow-shared-ip": "k2", "metallb.io/loadBalancerIPs": "10.0.0.0" },
      }),
    ]);
    expect(keys.decisions[1]?.failure).toMatchObject({
      code: "sharingKeyConflict",
      ip: "10.0.0.0",
      services: ["default/k"],
    });
    const exhausted = planFor(small, [
      aService("i"),
      aService("j", { annotations: { "metallb.io/address-pool": "small" } }),
    ]);
    expect(exhausted.decisions[1]?.failure).toMatchObject({
      code: "poolExhausted",
      pool: "small",
      family: "ipv4",
    });
  });
});
