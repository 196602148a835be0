import { describe, expect, test } from "bun:test";
import type { Service } from "../api/core.ts";
import type { IPAddressPool } from "../api/ip-address-pool.ts";
import { parseConfig } from "../config/parse-config.ts";
import { aPool, validConfig } from "../config/testing.ts";
import type { DecisionReason } from "./decision.ts";
import { aService, planFor, type ServiceOptions } from "./testing.ts";

const POOLS: IPAddressPool[] = [
  aPool("buggy", { addresses: ["10.3.0.0/24"], avoidBuggyIPs: true, autoAssign: false }),
  aPool("default-pool", { addresses: ["10.0.0.0/24"] }),
  aPool("manual", { addresses: ["10.4.0.0/24"], autoAssign: false }),
  aPool("ns-pool", { addresses: ["10.1.0.0/24"], serviceAllocation: { namespaces: ["team"] } }),
  aPool("sel-pool", {
    addresses: ["10.2.0.0/24"],
    serviceAllocation: { serviceSelectors: [{ matchLabels: { app: "special" } }] },
  }),
  aPool("tiny", { addresses: ["10.5.0.0/32"], autoAssign: false }),
  aPool("v6", { addresses: ["fd00::/120"], autoAssign: false }),
];

/** Services that already hold IPs; no bad input may move them. */
const BYSTANDERS: Service[] = [
  aService("keeper", { ingress: ["10.0.0.10"], fromPool: "default-pool" }),
  aService("sharer", {
    annotations: { "metallb.io/allow-shared-ip": "k" },
    ingress: ["10.0.0.20"],
    fromPool: "default-pool",
  }),
  aService("local", {
    annotations: { "metallb.io/allow-shared-ip": "l" },
    etp: "Local",
    selector: { app: "x" },
    ingress: ["10.0.0.30"],
    fromPool: "default-pool",
  }),
  aService("tinyholder", { ingress: ["10.5.0.0"], fromPool: "tiny" }),
];

const DUAL = ["10.96.0.10", "fd00::10"];
const lbIPs = (v: string) => ({ "metallb.io/loadBalancerIPs": v });
const pool = (v: string) => ({ "metallb.io/address-pool": v });
const share = (v: string) => ({ "metallb.io/allow-shared-ip": v });
const failed = (error: string) => `AllocationFailed: Failed to allocate IP for "default/t": ${error}`;
const cleared = (error: string) =>
  `ClearAssignment: current IP for "default/t" not allowed by config, will attempt for new IP assignment: ${error}`;

interface Case {
  readonly t: ServiceOptions;
  readonly reason: DecisionReason;
  readonly ips: readonly string[];
  readonly events: readonly string[];
  readonly pools?: readonly IPAddressPool[];
  readonly others?: readonly Service[];
}

const CASES: Record<string, Case> = {
  "requested IP outside every pool": {
    t: { annotations: lbIPs("10.9.9.9") },
    reason: "allocationFailed",
    ips: [],
    events: [failed('["10.9.9.9"] is not allowed in config')],
  },
  "requested IP of the wrong family": {
    t: { annotations: lbIPs("fd00::5") },
    reason: "allocationFailed",
    ips: [],
    events: [failed('requested loadBalancer IP(s) ["fd00::5"] does not match the ipFamily of the service')],
  },
  "spec.loadBalancerIP outside every pool": {
    t: { loadBalancerIP: "10.9.9.8" },
    reason: "allocationFailed",
    ips: [],
    events: [failed('["10.9.9.8"] is not allowed in config')],
  },
  "unknown pool": {
    t: { annotations: pool("nope") },
    reason: "allocationFailed",
    ips: [],
    events: [failed('unknown pool "nope"')],
  },
  "pool whose namespaces exclude the Service": {
    t: { annotations: pool("ns-pool") },
    reason: "allocationFailed",
    ips: [],
    events: [failed("pool ns-pool not compatible for ip assignment")],
  },
  "pool whose serviceSelectors exclude the Service (requested IP)": {
    t: { annotations: lbIPs("10.2.0.7"), labels: { app: "plain" } },
    reason: "allocationFailed",
    ips: [],
    events: [failed("pool sel-pool not compatible for ip assignment")],
  },
  "only pinned pools, none admits the Service": {
    t: {},
    pools: [POOLS[3]!],
    others: [],
    reason: "allocationFailed",
    ips: [],
    events: [failed("no available IPs")],
  },
  "requested IP from another pool than the address-pool annotation": {
    t: { annotations: { ...lbIPs("10.4.0.5"), ...pool("default-pool") } },
    reason: "allocationFailed",
    ips: [],
    events: [
      failed(
        'requested loadBalancer IP(s) ["10.4.0.5"] is not compatible with requested address pool default-pool',
      ),
    ],
  },
  "requested .0 in an avoidBuggyIPs pool": {
    t: { annotations: lbIPs("10.3.0.0") },
    reason: "allocationFailed",
    ips: [],
    events: [failed('["10.3.0.0"] is not allowed in config')],
  },
  "requested .255 in an avoidBuggyIPs pool": {
    t: { annotations: lbIPs("10.3.0.255") },
    reason: "allocationFailed",
    ips: [],
    events: [failed('["10.3.0.255"] is not allowed in config')],
  },
  "requested dual-stack pair spread over two pools": {
    t: { annotations: lbIPs("10.0.0.5,fd00::5"), clusterIPs: DUAL, policy: "RequireDualStack" },
    reason: "allocationFailed",
    ips: [],
    events: [failed('["10.0.0.5" "fd00::5"] is not allowed in config')],
  },
  "sharing conflict on a port": {
    t: { annotations: { ...lbIPs("10.0.0.20"), ...share("k") }, ports: ["TCP/80"] },
    reason: "allocationFailed",
    ips: [],
    events: [failed('port TCP/80 is already in use on "10.0.0.20"')],
  },
  "sharing conflict on the key": {
    t: { annotations: { ...lbIPs("10.0.0.20"), ...share("other") }, ports: ["TCP/81"] },
    reason: "allocationFailed",
    ips: [],
    events: [failed(`can't change sharing key for "default/t", address also in use by default/sharer`)],
  },
  "no sharing key on a shared IP": {
    t: { annotations: lbIPs("10.0.0.20"), ports: ["TCP/81"] },
    reason: "allocationFailed",
    ips: [],
    events: [failed(`can't change sharing key for "default/t", address also in use by default/sharer`)],
  },
  "sharing key on an IP whose holder does not share": {
    t: { annotations: { ...lbIPs("10.0.0.10"), ...share("k") }, ports: ["TCP/81"] },
    reason: "allocationFailed",
    ips: [],
    events: [failed(`can't change sharing key for "default/t", address also in use by default/keeper`)],
  },
  "sharing conflict on ETP: Local cannot join Cluster": {
    t: { annotations: { ...lbIPs("10.0.0.20"), ...share("k") }, etp: "Local", ports: ["TCP/81"] },
    reason: "allocationFailed",
    ips: [],
    events: [failed(`can't change sharing key for "default/t", address also in use by default/sharer`)],
  },
  "sharing conflict on ETP Local: different selectors": {
    t: {
      annotations: { ...lbIPs("10.0.0.30"), ...share("l") },
      etp: "Local",
      selector: { app: "y" },
      ports: ["TCP/81"],
    },
    reason: "allocationFailed",
    ips: [],
    events: [failed(`can't change sharing key for "default/t", address also in use by default/local`)],
  },
  "RequireDualStack without a dual-stack pool": {
    t: { clusterIPs: DUAL, policy: "RequireDualStack" },
    reason: "allocationFailed",
    ips: [],
    events: [failed("no available IPs")],
  },
  "exhausted pool named by annotation": {
    t: { annotations: pool("tiny") },
    reason: "allocationFailed",
    ips: [],
    events: [failed("no available IPs in pool tiny for ipv4 IPFamily")],
  },
  "every pool exhausted": {
    t: {},
    pools: [aPool("tiny", { addresses: ["10.5.0.0/32"] })],
    others: [BYSTANDERS[3]!],
    reason: "allocationFailed",
    ips: [],
    events: [failed("no available IPs")],
  },
  "malformed loadBalancerIPs annotation": {
    t: { annotations: lbIPs("10.0.0.x") },
    reason: "allocationFailed",
    ips: [],
    events: [failed('invalid metallb.io/loadBalancerIPs: "10.0.0.x"')],
  },
  "annotation and spec.loadBalancerIP together": {
    t: { annotations: lbIPs("10.0.0.5"), loadBalancerIP: "10.0.0.6" },
    reason: "allocationFailed",
    ips: [],
    events: [failed("service can not have both metallb.io/loadBalancerIPs and svc.Spec.LoadBalancerIP")],
  },
  "three requested IPs": {
    t: { annotations: lbIPs("10.0.0.5,fd00::5,10.0.0.6") },
    reason: "allocationFailed",
    ips: [],
    events: [failed('IPFamilyForAddresses: invalid ips length 3 ["10.0.0.5" "fd00::5" "10.0.0.6"]')],
  },
  "two requested IPs of one family": {
    t: { annotations: lbIPs("10.0.0.5,10.0.0.6") },
    reason: "allocationFailed",
    ips: [],
    events: [failed('IPFamilyForAddresses: same address family ["10.0.0.5" "10.0.0.6"]')],
  },
  "malformed spec.loadBalancerIP": {
    t: { loadBalancerIP: "abc" },
    reason: "allocationFailed",
    ips: [],
    events: [failed('invalid spec.loadBalancerIP "abc"')],
  },
  "malformed legacy annotation: no write, so no deprecation event": {
    t: { annotations: { "metallb.universe.tf/loadBalancerIPs": "x" } },
    reason: "allocationFailed",
    ips: [],
    events: [failed('invalid metallb.io/loadBalancerIPs: "x"')],
  },
  "RequireDualStack with one cluster IP": {
    t: { policy: "RequireDualStack" },
    reason: "notEnoughClusterIPs",
    ips: [],
    events: ["not enough clusterips: Service requires dual stack but not enough clusterips [10.96.0.10]"],
  },
  "no cluster IPs while holding one": {
    t: { clusterIPs: [], ingress: ["10.0.0.40"], fromPool: "default-pool" },
    reason: "noClusterIPs",
    ips: [],
    events: [],
  },
  "cluster IP of no family": {
    t: { clusterIPs: ["None"] },
    reason: "allocationFailed",
    ips: [],
    events: [failed('IPFamilyForAddresses: Invalid address ["None"]')],
  },
  "held IP no longer in any pool": {
    t: { ingress: ["10.8.0.1"], fromPool: "gone" },
    reason: "allocated",
    ips: ["10.0.0.0"],
    events: [cleared('["10.8.0.1"] is not allowed in config'), 'IPAllocated: Assigned IP ["10.0.0.0"]'],
  },
  "held IP in a pool whose selector now excludes the Service": {
    t: { ingress: ["10.2.0.1"], fromPool: "sel-pool", labels: { app: "plain" } },
    reason: "allocated",
    ips: ["10.0.0.0"],
    events: [
      cleared("pool sel-pool not compatible for ip assignment"),
      'IPAllocated: Assigned IP ["10.0.0.0"]',
    ],
  },
  "held IP with a malformed requested-IP annotation: kept": {
    t: { ingress: ["10.0.0.40"], fromPool: "default-pool", annotations: lbIPs("nope") },
    reason: "invalidRequestedIPs",
    ips: ["10.0.0.40"],
    events: [
      'LoadBalancerFailed: invalid requested loadbalancer IPs: invalid metallb.io/loadBalancerIPs: "nope"',
    ],
  },
  "garbage in status": {
    t: { ingress: ["10.0.0.x"] },
    reason: "allocated",
    ips: ["10.0.0.0"],
    events: [
      'nolbIPsIPFamily: Failed to retrieve LBIPs IPFamily for ["<nil>"]: IPFamilyForAddresses: Invalid address ["<nil>"]',
      'IPAllocated: Assigned IP ["10.0.0.0"]',
    ],
  },
  "held IPv6 on an IPv4 Service": {
    t: { ingress: ["fd00::40"], fromPool: "v6" },
    reason: "allocated",
    ips: ["10.0.0.0"],
    events: ['IPAllocated: Assigned IP ["10.0.0.0"]'],
  },
  "held dual-stack IPs on a single-stack Service": {
    t: { ingress: ["10.0.0.40", "fd00::40"] },
    reason: "allocated",
    ips: ["10.0.0.0"],
    events: ['IPAllocated: Assigned IP ["10.0.0.0"]'],
  },
  "holding another Service's unshared IP": {
    t: { ingress: ["10.0.0.10"], fromPool: "default-pool" },
    reason: "allocated",
    ips: ["10.0.0.0"],
    events: [
      cleared(`can't change sharing key for "default/t", address also in use by default/keeper`),
      'IPAllocated: Assigned IP ["10.0.0.0"]',
    ],
  },
  "another controller's class": {
    t: { loadBalancerClass: "other.io/lb", ingress: ["192.0.2.1"] },
    reason: "loadBalancerClassMismatch",
    ips: ["192.0.2.1"],
    events: [],
  },
  "not a LoadBalancer any more": {
    t: { type: "NodePort", ingress: ["10.0.0.40"], fromPool: "default-pool" },
    reason: "notLoadBalancer",
    ips: [],
    events: [],
  },
  "address-pool annotation changed while holding an IP": {
    t: { ingress: ["10.0.0.40"], fromPool: "default-pool", annotations: pool("manual") },
    reason: "allocated",
    ips: ["10.4.0.0"],
    events: ['IPAllocated: Assigned IP ["10.4.0.0"]'],
  },
  "requested IP changed while holding another": {
    t: { ingress: ["10.0.0.40"], fromPool: "default-pool", annotations: lbIPs("10.4.0.9") },
    reason: "allocated",
    ips: ["10.4.0.9"],
    events: ['IPAllocated: Assigned IP ["10.4.0.9"]'],
  },
  "held requested IP in an autoAssign=false pool stays": {
    t: { ingress: ["10.4.0.9"], fromPool: "manual", annotations: lbIPs("10.4.0.9") },
    reason: "kept",
    ips: ["10.4.0.9"],
    events: [],
  },
};

describe("bad and conflicting input: exact outcome, and no bystander moves", () => {
  test("there are at least 30 cases", () => {
    expect(Object.keys(CASES).length).toBeGreaterThanOrEqual(30);
  });

  test.each(Object.entries(CASES))("%s", (_, c) => {
    const others = c.others ?? BYSTANDERS;
    const config = validConfig({ ipAddressPools: c.pools ?? POOLS });
    const plan = planFor(config, [...others, aService("t", c.t)]);
    const decision = plan.decisions.find((d) => d.key === "default/t")!;
    expect({
      reason: decision.reason,
      ips: decision.ips,
      events: decision.events.map((e) => `${e.reason}: ${e.message}`),
    }).toEqual({ reason: c.reason, ips: [...c.ips], events: [...c.events] });
    for (const other of others) {
      const d = plan.decisions.find((x) => x.key === `default/${other.metadata.name}`)!;
      expect({ key: d.key, reason: d.reason, write: d.write, events: d.events }).toEqual({
        key: d.key,
        reason: "kept",
        write: undefined,
        events: [],
      });
    }
  });

  test("overlapping pools: the config is rejected and the last good one keeps every IP in place", () => {
    const good = validConfig({ ipAddressPools: POOLS });
    const bad = parseConfig({
      ipAddressPools: [...POOLS, aPool("overlap", { addresses: ["10.0.0.128/25"] })],
    });
    expect(bad.ok ? [] : bad.errors.map((e) => e.message)).toEqual([
      'IPAddressPool "overlap" spec.addresses[0]: CIDR "10.0.0.128/25" in pool "overlap" overlaps with already defined CIDR "10.0.0.0/24" (pool "default-pool")',
    ]);
    const plan = planFor(good, BYSTANDERS);
    expect(plan.decisions.every((d) => d.reason === "kept" && d.write === undefined)).toBe(true);
  });
});
