import { describe, expect, test } from "bun:test";
import {
  ADDRESS_POOL,
  ALLOW_SHARED_IP,
  annotationValue,
  deprecatedAnnotationKeys,
  IP_ALLOCATED_FROM_POOL,
  LOAD_BALANCER_IPS,
} from "./annotations.ts";

describe("annotation names", () => {
  test("each has a metallb.io name and a metallb.universe.tf twin", () => {
    expect(LOAD_BALANCER_IPS).toEqual({
      current: "metallb.io/loadBalancerIPs",
      legacy: "metallb.universe.tf/loadBalancerIPs",
    });
    expect(ADDRESS_POOL.current).toBe("metallb.io/address-pool");
    expect(ADDRESS_POOL.legacy).toBe("metallb.universe.tf/address-pool");
    expect(ALLOW_SHARED_IP.current).toBe("metallb.io/allow-shared-ip");
    expect(ALLOW_SHARED_IP.legacy).toBe("metallb.universe.tf/allow-shared-ip");
    expect(IP_ALLOCATED_FROM_POOL.current).toBe("metallb.io/ip-allocated-from-pool");
    expect(IP_ALLOCATED_FROM_POOL.legacy).toBe("metallb.universe.tf/ip-allocated-from-pool");
  });
});

describe("annotationValue", () => {
  test("reads the current name", () => {
    expect(annotationValue({ "metallb.io/address-pool": "a" }, ADDRESS_POOL)).toBe("a");
  });
  test("falls back to the legacy name", () => {
    expect(annotationValue({ "metallb.universe.tf/address-pool": "b" }, ADDRESS_POOL)).toBe("b");
  });
  test("prefers the current name when both are set", () => {
    const annotations = { "metallb.universe.tf/address-pool": "old", "metallb.io/address-pool": "new" };
    expect(annotationValue(annotations, ADDRESS_POOL)).toBe("new");
  });
  test("an empty current value still wins (it was set on purpose)", () => {
    const annotations = { "metallb.universe.tf/allow-shared-ip": "k", "metallb.io/allow-shared-ip": "" };
    expect(annotationValue(annotations, ALLOW_SHARED_IP)).toBe("");
  });
  test("is undefined when absent", () => {
    expect(annotationValue(undefined, ADDRESS_POOL)).toBeUndefined();
    expect(annotationValue({ other: "x" }, ADDRESS_POOL)).toBeUndefined();
  });
});

describe("deprecatedAnnotationKeys", () => {
  test("lists the legacy-prefixed keys, sorted", () => {
    const annotations = {
      "metallb.universe.tf/loadBalancerIPs": "10.0.0.1",
      "metallb.io/address-pool": "p",
      "metallb.universe.tf/allow-shared-ip": "k",
      unrelated: "x",
    };
    expect(deprecatedAnnotationKeys(annotations)).toEqual([
      "metallb.universe.tf/allow-shared-ip",
      "metallb.universe.tf/loadBalancerIPs",
    ]);
  });
  test("is empty without annotations", () => {
    expect(deprecatedAnnotationKeys(undefined)).toEqual([]);
  });
});
