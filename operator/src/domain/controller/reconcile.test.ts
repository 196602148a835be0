import { describe, expect, test } from "bun:test";
import { aService } from "../allocator/testing.ts";
import type { Service } from "../api/core.ts";
import { aPool } from "../config/testing.ts";
import type { ControllerInputs } from "./inputs.ts";
import {
  type ControllerOutcome,
  type ControllerState,
  initialControllerState,
  reconcileController,
} from "./reconcile.ts";
import { onlyPools } from "./testing.ts";

const NOW = "2026-11-25T12:00:00Z";
const opts = { loadBalancerClass: "", now: NOW };
const seedPool = aPool("my-ippool", { addresses: ["172.18.255.200-172.18.255.250"] });

function inputs(services: Service[], pools = [seedPool]): ControllerInputs {
  return { services, ...onlyPools(...pools) };
}

const withUid = (s: Service, uid: string): Service => ({ ...s, metadata: { ...s.metadata, uid } });
const svc = (name: string, uid = `uid-${name}`, o: Parameters<typeof aService>[1] = {}) =>
  withUid(aService(name, o), uid);

/** The apiserver's side: the Services after the writes landed. */
function landed(services: Service[], outcome: ControllerOutcome): Service[] {
  return services.map((s) => {
    const w = outcome.writes.get(`${s.metadata.namespace}/${s.metadata.name}`);
    if (!w) return s;
    const annotations = { ...(s.metadata.annotations ?? {}) };
    delete annotations["metallb.io/ip-allocated-from-pool"];
    if (w.write.allocatedFromPool)
      annotations["metallb.io/ip-allocated-from-pool"] = w.write.allocatedFromPool;
    return {
      ...s,
      metadata: { ...s.metadata, annotations },
      status: { loadBalancer: { ingress: w.write.ingressIPs.map((ip) => ({ ip })) } },
    };
  });
}

const ips = (o: ControllerOutcome) => Object.fromEntries(o.decisions.map((d) => [d.key, d.ips.join(",")]));

describe("reconcileController", () => {
  test("the seed: svc1..svc3 get the lowest free addresses, one IPAllocated each", () => {
    const services = [svc("svc1"), svc("svc2"), svc("svc3")];
    const out = reconcileController(inputs(services), initialControllerState, opts);
    expect(ips(out)).toEqual({
      "default/svc1": "172.18.255.200",
      "default/svc2": "172.18.255.201",
      "default/svc3": "172.18.255.202",
    });
    expect(out.events.map((e) => [e.name, e.event.reason, e.event.message])).toEqual([
      ["svc1", "IPAllocated", 'Assigned IP ["172.18.255.200"]'],
      ["svc2", "IPAllocated", 'Assigned IP ["172.18.255.201"]'],
      ["svc3", "IPAllocated", 'Assigned IP ["172.18.255.202"]'],
    ]);
    expect(out.writes.get("default/svc1")?.write).toEqual({
      ingressIPs: ["172.18.255.200"],
      allocatedFromPool: "my-ippool",
    });
    expect(out.configurationState.result).toBe("Valid");
    expect(out.configLoaded).toBe(true);
  });

  test("writes still in flight are not allocated twice, and their addresses stay taken", () => {
    const first = reconcileController(inputs([svc("svc1")]), initialControllerState, opts);
    // The watch has not shown svc1's status yet when svc2 arrives.
    const second = reconcileController(inputs([svc("svc1"), svc("svc2")]), first.state, opts);
    expect(ips(second)).toEqual({ "default/svc1": "172.18.255.200", "default/svc2": "172.18.255.201" });
    expect(second.events.map((e) => e.name)).toEqual(["svc2"]);
    expect([...second.writes.keys()]).toEqual(["default/svc1", "default/svc2"]);
  });

  test("idempotent: once the writes landed, running again asks for nothing", () => {
    const services = [svc("svc1"), svc("svc2")];
    const first = reconcileController(inputs(services), initialControllerState, opts);
    const again = reconcileController(inputs(landed(services, first)), first.state, opts);
    expect(again.writes.size).toBe(0);
    expect(again.events).toEqual([]);
    expect(again.state.expected.size).toBe(0);
    const third = reconcileController(inputs(landed(services, first)), again.state, opts);
    expect(third.writes.size).toBe(0);
    expect(third.events).toEqual([]);
  });

  test("a Service recreated under the same name (new uid) does not inherit the in-flight assignment", () => {
    const pools = [aPool("p", { addresses: ["10.0.0.1/32"] })];
    const first = reconcileController(inputs([svc("a", "uid-1")], pools), initialControllerState, opts);
    expect(ips(first)).toEqual({ "default/a": "10.0.0.1" });
    const recreated = reconcileController(inputs([svc("a", "uid-2")], pools), first.state, opts);
    expect(ips(recreated)).toEqual({ "default/a": "10.0.0.1" });
    expect(recreated.events.map((e) => e.event.reason)).toEqual(["IPAllocated"]);
  });

  test("an invalid new configuration keeps the last good one, marks it stale and says why", () => {
    const services = [svc("svc1")];
    const good = reconcileController(inputs(services), initialControllerState, opts);
    const overlapping = aPool("other", { addresses: ["172.18.255.0/24"] });
    const bad = reconcileController(
      inputs(landed(services, good), [seedPool, overlapping]),
      good.state,
      opts,
    );
    expect(bad.configStale).toBe(true);
    expect(bad.configLoaded).toBe(true);
    expect(ips(bad)).toEqual({ "default/svc1": "172.18.255.200" });
    expect(bad.writes.size).toBe(0);
    expect(bad.configurationState.result).toBe("Invalid");
    expect(bad.configurationState.errorSummary).toContain("overlaps");
    expect(bad.configurationState.conditions?.[0]).toMatchObject({
      type: "configReconcilerValid",
      status: "False",
      reason: "ConfigurationError",
    });
  });

  test("no configuration ever parsed: nothing is written or cleared", () => {
    const held = svc("svc1", "u", { ingress: ["172.18.255.200"], fromPool: "my-ippool" });
    const broken = aPool("broken", { addresses: ["not-an-ip"] });
    const out = reconcileController(inputs([held], [broken]), initialControllerState, opts);
    expect(out.writes.size).toBe(0);
    expect(out.configLoaded).toBe(false);
    expect(out.configStale).toBe(true);
  });

  test("a lasting failure is reported once, not on every reconcile", () => {
    const pools = [aPool("tiny", { addresses: ["10.0.0.1/32"] })];
    const services = [svc("a"), svc("b")];
    const first = reconcileController(inputs(services, pools), initialControllerState, opts);
    expect(first.events.map((e) => [e.name, e.event.reason])).toEqual([
      ["a", "IPAllocated"],
      ["b", "AllocationFailed"],
    ]);
    const second = reconcileController(inputs(landed(services, first), pools), first.state, opts);
    expect(second.events).toEqual([]);
  });

  test("condition transition times move only when the status changes", () => {
    const a = reconcileController(inputs([]), initialControllerState, opts);
    const b = reconcileController(inputs([]), a.state, { ...opts, now: "2026-11-25T13:00:00Z" });
    expect(b.configurationState.conditions?.[0]?.lastTransitionTime).toBe(NOW);
  });

  test("deleting every pool clears every Service", () => {
    const services = [svc("svc1")];
    const first = reconcileController(inputs(services), initialControllerState, opts);
    const none = reconcileController(inputs(landed(services, first), []), first.state, opts);
    expect(none.writes.get("default/svc1")?.write).toEqual({ ingressIPs: [], allocatedFromPool: undefined });
  });
});

export type { ControllerState };
