/**
 * Two Services share an IP; one of them is edited so that they can no longer share. MetalLB keeps
 * the IP with the Service that holds it and nobody touched: only the edited Service is assigned
 * again (its allocator already holds the other one's claim), and it is told why with a Normal
 * ClearAssignment "... address also in use by ...". Whichever of the two sorts first by name.
 */

import { describe, expect, test } from "bun:test";
import { aService, type ServiceOptions } from "../allocator/testing.ts";
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

const opts = { loadBalancerClass: "", now: "2026-12-06T12:00:00Z" };
const pool = aPool("p", { addresses: ["10.0.0.1-10.0.0.3"] });

function inputs(services: Iterable<Service>): ControllerInputs {
  return {
    services: [...services],
    ...onlyPools(pool),
  };
}

/** A Service of the pair: ETP Local, selector app=web, sharing key "k". */
function sharer(name: string, port: string, o: ServiceOptions = {}): Service {
  const s = aService(name, {
    etp: "Local",
    selector: { app: "web" },
    ports: [port],
    ...o,
    annotations: { "metallb.io/allow-shared-ip": "k", ...(o.annotations ?? {}) },
  });
  return { ...s, metadata: { ...s.metadata, uid: `uid-${name}` } };
}

/** The apiserver: applies the writes to the world. */
function land(world: Map<string, Service>, outcome: ControllerOutcome): void {
  for (const [key, pending] of outcome.writes) {
    const s = world.get(key);
    if (s === undefined) continue;
    const annotations = { ...(s.metadata.annotations ?? {}) };
    delete annotations["metallb.io/ip-allocated-from-pool"];
    if (pending.write.allocatedFromPool !== undefined)
      annotations["metallb.io/ip-allocated-from-pool"] = pending.write.allocatedFromPool;
    world.set(key, {
      ...s,
      metadata: { ...s.metadata, annotations },
      status: { loadBalancer: { ingress: pending.write.ingressIPs.map((ip) => ({ ip })) } },
    });
  }
}

/** Reconciles and lands writes until nothing more is asked for. */
function settle(world: Map<string, Service>, state: ControllerState): ControllerState {
  for (let i = 0; i < 5; i++) {
    const out = reconcileController(inputs(world.values()), state, opts);
    state = out.state;
    if (out.writes.size === 0) return state;
    land(world, out);
  }
  throw new Error("did not settle");
}

const statusIPs = (world: Map<string, Service>) =>
  Object.fromEntries(
    [...world].map(([k, s]) => [k, (s.status?.loadBalancer?.ingress ?? []).map((i) => i.ip).join(",")]),
  );

/** Two sharers at rest on 10.0.0.1 (requested or auto-allocated), then `edited` gets another selector. */
function scenario(
  names: [string, string],
  edited: string,
  requested: boolean,
  memo: boolean,
  edit: (s: Service) => Service = (s) => ({ ...s, spec: { ...s.spec, selector: { app: "other" } } }),
) {
  const o: ServiceOptions = requested ? { annotations: { "metallb.io/loadBalancerIPs": "10.0.0.1" } } : {};
  const world = new Map<string, Service>();
  const [first, second] = names;
  world.set(`default/${first}`, sharer(first, "TCP/80", o));
  world.set(`default/${second}`, sharer(second, "TCP/443", o));
  let state = settle(world, initialControllerState);
  expect(statusIPs(world)).toEqual({ [`default/${first}`]: "10.0.0.1", [`default/${second}`]: "10.0.0.1" });

  const key = `default/${edited}`;
  const before = world.get(key)!;
  world.set(key, edit(before));
  if (!memo) state = { ...state, memo: undefined };
  const out = reconcileController(inputs(world.values()), state, opts);
  return { out, key, untouched: names.find((n) => n !== edited)! };
}

const cases: [string, [string, string], string][] = [
  ["the edited Service sorts first", ["a", "b"], "a"],
  ["the edited Service sorts last", ["a", "b"], "b"],
];

describe("a pair sharing an IP, one edited so that they can no longer share", () => {
  for (const [title, names, edited] of cases) {
    for (const memo of [true, false]) {
      const how = memo ? "" : ", without the memo";
      test(`${title}: the edited one is moved to a new IP, the other keeps it${how}`, () => {
        const { out, key, untouched } = scenario(names, edited, false, memo);
        expect(out.writes.has(`default/${untouched}`)).toBe(false);
        expect(out.decisions.find((d) => d.key === `default/${untouched}`)).toMatchObject({
          reason: "kept",
          ips: ["10.0.0.1"],
        });
        expect(out.decisions.find((d) => d.key === key)).toMatchObject({
          reason: "allocated",
          ips: ["10.0.0.2"],
        });
        expect(out.events.map((e) => [e.name, e.event.type, e.event.reason, e.event.message])).toEqual([
          [
            edited,
            "Normal",
            "ClearAssignment",
            `current IP for "${key}" not allowed by config, will attempt for new IP assignment: ` +
              `can't change sharing key for "${key}", address also in use by default/${untouched}`,
          ],
          [edited, "Normal", "IPAllocated", 'Assigned IP ["10.0.0.2"]'],
        ]);
      });

      test(`${title}, both requesting the IP: the edited one loses it and waits${how}`, () => {
        const { out, key, untouched } = scenario(names, edited, true, memo);
        expect(out.writes.has(`default/${untouched}`)).toBe(false);
        expect(out.writes.get(key)?.write).toEqual({ ingressIPs: [], allocatedFromPool: undefined });
        expect(out.events.map((e) => [e.name, e.event.reason])).toEqual([
          [edited, "ClearAssignment"],
          [edited, "AllocationFailed"],
        ]);
        expect(out.events[0]?.event.message).toContain(`address also in use by default/${untouched}`);
      });
    }
  }

  for (const [title, names, edited] of cases) {
    test(`${title}, its port edited to the other one's: the edited one loses the IP`, () => {
      const samePort = (s: Service): Service => ({
        ...s,
        spec: { ...s.spec, ports: [{ protocol: "TCP", port: edited === "a" ? 443 : 80 }] },
      });
      const { out, key, untouched } = scenario(names, edited, false, true, samePort);
      expect(out.writes.has(`default/${untouched}`)).toBe(false);
      expect(out.decisions.find((d) => d.key === key)).toMatchObject({ ips: ["10.0.0.2"] });
      expect(out.events[0]?.event.reason).toBe("ClearAssignment");
      expect(out.events[0]?.event.message).toContain("port TCP/");
    });
  }

  const edits: [string, (s: Service) => Service][] = [
    [
      "its externalTrafficPolicy flipped to Cluster",
      (s) => ({ ...s, spec: { ...s.spec, externalTrafficPolicy: "Cluster" } }),
    ],
    [
      "its sharing key changed",
      (s) => ({
        ...s,
        metadata: {
          ...s.metadata,
          annotations: { ...s.metadata.annotations, "metallb.io/allow-shared-ip": "other" },
        },
      }),
    ],
  ];
  for (const [what, edit] of edits) {
    for (const [title, names, edited] of cases) {
      test(`${title}, ${what}: the edited one loses the IP`, () => {
        const { out, key, untouched } = scenario(names, edited, false, true, edit);
        expect(out.writes.has(`default/${untouched}`)).toBe(false);
        expect(out.decisions.find((d) => d.key === key)).toMatchObject({ ips: ["10.0.0.2"] });
        expect(out.events[0]?.event.message).toContain(`address also in use by default/${untouched}`);
      });
    }
  }
});
