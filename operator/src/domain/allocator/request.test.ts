import { describe, expect, test } from "bun:test";
import { formatIP } from "../ip/address.ts";
import { allocationRequestOf, requestedIPsOf } from "./request.ts";
import { aService } from "./testing.ts";

describe("allocationRequestOf", () => {
  test("reads spec, annotations and status", () => {
    const request = allocationRequestOf(
      aService("web", {
        namespace: "shop",
        labels: { app: "web" },
        annotations: {
          "metallb.io/address-pool": "gold",
          "metallb.universe.tf/allow-shared-ip": "k1",
          "metallb.universe.tf/ip-allocated-from-pool": "old",
        },
        ports: ["TCP/80", "UDP/53"],
        etp: "Local",
        selector: { b: "2", a: "1" },
        clusterIPs: ["10.96.0.1", "fd00::1"],
        policy: "PreferDualStack",
        families: ["IPv6", "IPv4"],
        ingress: ["172.18.255.200"],
        fromPool: "gold",
      }),
    );
    expect(request).toMatchObject({
      key: "shop/web",
      isLoadBalancer: true,
      addressPool: "gold",
      sharingKey: "k1",
      backendKey: "a=1,b=2",
      ports: ["TCP/80", "UDP/53"],
      clusterFamily: { ok: true, value: "dual" },
      familyPolicy: "PreferDualStack",
      primaryFamily: "ipv6",
      requested: { kind: "none" },
      current: {
        ingressIPs: ["172.18.255.200"],
        ingressCount: 1,
        ingressPlain: true,
        allocatedFromPool: "gold",
        legacyAllocatedFromPool: true,
      },
      deprecatedAnnotations: [
        "metallb.universe.tf/allow-shared-ip",
        "metallb.universe.tf/ip-allocated-from-pool",
      ],
    });
  });

  test("defaults: ClusterIP type, SingleStack, TCP, no sharing, Cluster backend", () => {
    const request = allocationRequestOf({
      metadata: { name: "x", namespace: "d" },
      spec: { ports: [{ port: 8080 }] },
    });
    expect(request).toMatchObject({
      isLoadBalancer: false,
      familyPolicy: "SingleStack",
      ports: ["TCP/8080"],
      sharingKey: "",
      backendKey: "",
      noClusterIPs: true,
    });
  });

  test("an empty current annotation wins over the legacy one (MetalLB valueForAnnotation)", () => {
    const request = allocationRequestOf(
      aService("s", {
        annotations: { "metallb.io/allow-shared-ip": "", "metallb.universe.tf/allow-shared-ip": "k" },
      }),
    );
    expect(request.sharingKey).toBe("");
  });

  test("hostname-only or extra ingress entries are not plain", () => {
    const request = allocationRequestOf({
      metadata: { name: "s", namespace: "d" },
      spec: { type: "LoadBalancer" },
      status: { loadBalancer: { ingress: [{ hostname: "lb.example" }] } },
    });
    expect(request.current).toMatchObject({ ingressIPs: [], ingressCount: 1, ingressPlain: false });
  });

  test("never throws on junk", () => {
    expect(() => allocationRequestOf({ metadata: {} } as never)).not.toThrow();
    expect(() =>
      allocationRequestOf({ metadata: {}, spec: { ports: "x", clusterIPs: 5 } } as never),
    ).not.toThrow();
  });
});

describe("requestedIPsOf (MetalLB getDesiredLbIPs)", () => {
  test.each([
    ["", "", { kind: "none" }],
    ["10.0.0.1", "", { kind: "ips", ips: ["10.0.0.1"], family: "ipv4" }],
    [" 10.0.0.1 , FC00::1 ", "", { kind: "ips", ips: ["10.0.0.1", "fc00::1"], family: "dual" }],
    ["", "fc00::5", { kind: "ips", ips: ["fc00::5"], family: "ipv6" }],
    [
      "10.0.0.1",
      "10.0.0.2",
      {
        kind: "invalid",
        error: "service can not have both metallb.io/loadBalancerIPs and svc.Spec.LoadBalancerIP",
      },
    ],
    ["10.0.0.x", "", { kind: "invalid", error: 'invalid metallb.io/loadBalancerIPs: "10.0.0.x"' }],
    ["10.0.0.1,", "", { kind: "invalid", error: 'invalid metallb.io/loadBalancerIPs: "10.0.0.1,"' }],
    ["", "abc", { kind: "invalid", error: 'invalid spec.loadBalancerIP "abc"' }],
    [
      "10.0.0.1,10.0.0.2",
      "",
      { kind: "invalid", error: 'IPFamilyForAddresses: same address family ["10.0.0.1" "10.0.0.2"]' },
    ],
    [
      "10.0.0.1,fc00::1,10.0.0.2",
      "",
      {
        kind: "invalid",
        error: 'IPFamilyForAddresses: invalid ips length 3 ["10.0.0.1" "fc00::1" "10.0.0.2"]',
      },
    ],
  ])("%p / %p", (annotation, spec, expected) => {
    const result = requestedIPsOf(annotation, spec);
    const shown = result.kind === "ips" ? { ...result, ips: result.ips.map(formatIP) } : result;
    expect(shown).toEqual(expected as typeof shown);
  });
});
