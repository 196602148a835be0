import { describe, expect, test } from "bun:test";
import type { IPAddressPool } from "../api/ip-address-pool.ts";
import type { ControllerInputs } from "../controller/inputs.ts";
import { onlyPools } from "../controller/testing.ts";
import { parseConfigMemo } from "./config-memo.ts";

function pool(overrides: Partial<IPAddressPool> = {}): IPAddressPool {
  return {
    apiVersion: "metallb.io/v1beta1",
    kind: "IPAddressPool",
    metadata: { name: "p", namespace: "metallb-system", resourceVersion: "1", labels: { tier: "a" } },
    spec: { addresses: ["10.0.0.0/24"] },
    ...overrides,
  } as IPAddressPool;
}

function inputsWith(pools: IPAddressPool[]): ControllerInputs {
  return { services: [], ...onlyPools(...pools) };
}

describe("parseConfigMemo", () => {
  const first = parseConfigMemo(inputsWith([pool()]), undefined);

  test("the same objects return the memo itself", () => {
    const again = parseConfigMemo(first.resources as ControllerInputs, first);
    expect(again).toBe(first);
  });

  test("a status or resourceVersion change keeps the parsed Config (the allocation stays incremental)", () => {
    const written = pool({
      metadata: { name: "p", namespace: "metallb-system", resourceVersion: "2", labels: { tier: "a" } },
      status: { assignedIPv4: 1, availableIPv4: 255, assignedIPv6: 0, availableIPv6: 0 },
    } as Partial<IPAddressPool>);
    const next = parseConfigMemo(inputsWith([written]), first);
    expect(next.result).toBe(first.result);
    expect(next.resources.ipAddressPools?.[0]).toBe(written);
  });

  test("a spec change parses again", () => {
    const grown = pool({ spec: { addresses: ["10.0.0.0/23"] } } as Partial<IPAddressPool>);
    const next = parseConfigMemo(inputsWith([grown]), first);
    expect(next.result).not.toBe(first.result);
    expect(next.result.ok).toBe(true);
  });

  test("a label change parses again (advertisements select pools by label)", () => {
    const relabelled = pool({
      metadata: { name: "p", namespace: "metallb-system", resourceVersion: "3", labels: { tier: "b" } },
    } as Partial<IPAddressPool>);
    expect(parseConfigMemo(inputsWith([relabelled]), first).result).not.toBe(first.result);
  });

  test("a pool more or less parses again", () => {
    const other = pool({ metadata: { name: "q", namespace: "metallb-system" } } as Partial<IPAddressPool>);
    const more = parseConfigMemo(inputsWith([pool(), other]), first);
    expect(more.result).not.toBe(first.result);
    expect(parseConfigMemo(inputsWith([]), first).result).not.toBe(first.result);
  });
});
