/**
 * The speaker's memo (decision-memo.ts, the config memo) must never change an outcome. Random
 * histories of a small cluster (Services created, re-IPed, deleted, re-created with a new uid;
 * endpoints moving and going unready; node labels and NetworkUnavailable flipping; members
 * leaving and joining; advertisements and pools edited; pool status rewritten) are reconciled
 * step by step by one speaker, both with its memo and without, and the outcomes must be equal.
 */
import { describe, expect, test } from "bun:test";
import type { EndpointSlice, Node, Service } from "../api/core.ts";
import type { IPAddressPool } from "../api/ip-address-pool.ts";
import type { L2Advertisement } from "../api/l2-advertisement.ts";
import { anL2Ad, aPool } from "../config/testing.ts";
import {
  initialSpeakerState,
  reconcileSpeaker,
  type SpeakerOutcome,
  type SpeakerState,
} from "./reconcile.ts";
import { aNodeObject, anAnnouncedService, aSlice, defaultOptions, inputsFor } from "./testing.ts";

const NODES = ["n1", "n2", "n3", "n4"];
const NAMES = Array.from({ length: 12 }, (_, i) => `s${i}`);
const IPS = ["10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4", "10.0.1.9", "fd00::1", "fd00::2"];

function prng(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
  return {
    chance: (p: number) => next() < p,
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
    subset: <T>(items: readonly T[]): T[] => items.filter(() => next() < 0.5),
  };
}

interface World {
  nodes: Map<string, Node>;
  services: Map<string, Service>;
  slices: Map<string, EndpointSlice>;
  pools: IPAddressPool[];
  ads: L2Advertisement[];
  members: string[];
  generation: number;
}

function change(world: World, r: ReturnType<typeof prng>): void {
  const name = r.pick(NAMES);
  const roll = r.chance(0.5) ? 0 : r.chance(0.5) ? 1 : r.chance(0.5) ? 2 : 3;
  world.generation++;
  if (roll === 0) {
    if (r.chance(0.2)) world.services.delete(name);
    else
      world.services.set(
        name,
        anAnnouncedService(name, r.chance(0.15) ? [] : [r.pick(IPS)], {
          uid: r.chance(0.3) ? `uid-${name}-${world.generation}` : `uid-${name}`,
          ...(r.chance(0.3) ? { etp: "Local" as const } : {}),
          ...(r.chance(0.2) ? { labels: { tier: "web" } } : {}),
        }),
      );
  } else if (roll === 1) {
    if (r.chance(0.15)) world.slices.delete(name);
    else world.slices.set(name, aSlice(name, r.subset(NODES), { ready: !r.chance(0.15) }));
  } else if (roll === 2) {
    const node = r.pick(NODES);
    if (r.chance(0.5))
      world.nodes.set(
        node,
        aNodeObject(node, {
          labels: {
            zone: r.pick(["a", "b"]),
            ...(r.chance(0.2) ? { "node.kubernetes.io/exclude-from-external-load-balancers": "" } : {}),
          },
          networkUnavailable: r.chance(0.2),
        }),
      );
    else world.members = r.chance(0.3) ? NODES.filter((n) => n !== node) : [...NODES];
  } else if (r.chance(0.5)) {
    world.ads = [
      anL2Ad("ad", {
        nodeSelectors: r.chance(0.4) ? [{ matchLabels: { zone: r.pick(["a", "b"]) } }] : [],
        serviceSelectors: r.chance(0.2) ? [{ matchLabels: { tier: "web" } }] : [],
        interfaces: r.chance(0.3) ? ["eth0"] : [],
      }),
    ];
  } else {
    // A pool edit, or only its status rewritten (which must not count as a change).
    const [pool] = world.pools;
    world.pools = [
      r.chance(0.5)
        ? ({ ...pool!, status: { assignedIPv4: world.generation } } as IPAddressPool)
        : aPool("p", { addresses: r.chance(0.7) ? ["10.0.0.0/24", "fd00::/120"] : ["10.0.0.0/30"] }),
    ];
  }
}

function comparable(o: SpeakerOutcome) {
  const { memo: _memo, ...state } = o.state;
  return { ...o, state };
}

describe("the speaker's memo changes no outcome", () => {
  let announcedOverall = 0;
  // SEEDS=200 bun test ... explores further.
  for (const seed of Array.from({ length: Number(process.env.SEEDS ?? 6) }, (_, i) => i + 1)) {
    test(`random history, seed ${seed}, 200 steps`, () => {
      const r = prng(seed);
      const world: World = {
        nodes: new Map(NODES.map((n) => [n, aNodeObject(n, { labels: { zone: "a" } })])),
        services: new Map(),
        slices: new Map(),
        pools: [aPool("p", { addresses: ["10.0.0.0/24", "fd00::/120"] })],
        ads: [anL2Ad("ad")],
        members: [...NODES],
        generation: 0,
      };
      let state: SpeakerState = initialSpeakerState;
      let announcedSteps = 0;
      for (let step = 0; step < 200; step++) {
        const changes = 1 + Math.floor(r.chance(0.5) ? 0 : 2);
        for (let c = 0; c < changes; c++) change(world, r);
        const inputs = inputsFor(
          {
            nodes: [...world.nodes.values()],
            services: [...world.services.values()],
            endpointSlices: [...world.slices.values()],
            ipAddressPools: world.pools,
            l2Advertisements: world.ads,
            members: world.members,
          },
          "n1",
        );
        const withMemo = reconcileSpeaker(inputs, state, defaultOptions);
        const scratch = reconcileSpeaker(inputs, { ...state, memo: undefined }, defaultOptions);
        expect({ seed, step, ...comparable(withMemo) }).toEqual({ seed, step, ...comparable(scratch) });
        if (withMemo.l2.entries.length > 0) announcedSteps++;
        state = withMemo.state;
      }
      announcedOverall += announcedSteps;
    });
  }

  test("the histories exercise announcing (else the comparisons prove little)", () => {
    expect(announcedOverall).toBeGreaterThan(250);
  });
});
