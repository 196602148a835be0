/**
 * Order independence (the idea of cilium's TestHappyPathPermutations): the same six changes
 * applied to a cluster in every one of their 720 orders, with every speaker reconciling after
 * each change and folding its state, end in one and the same outcome, with one announcer per IP.
 */
import { describe, expect, test } from "bun:test";
import { anL2Ad, aPool } from "../config/testing.ts";
import { announcedRowsOf } from "./announced-gauge.ts";
import { initialSpeakerState, reconcileSpeaker, type SpeakerOutcome } from "./reconcile.ts";
import {
  aNodeObject,
  anAnnouncedService,
  aSlice,
  type Cluster,
  defaultOptions,
  inputsFor,
  Speakers,
} from "./testing.ts";

const NODES = ["a", "b", "c", "d"];
const L2 = { l2: "yes" };

const start: Cluster = {
  nodes: [
    aNodeObject("a", { labels: L2 }),
    aNodeObject("b", { labels: L2 }),
    aNodeObject("c", { labels: L2 }),
    aNodeObject("d"),
  ],
  services: [],
  endpointSlices: [],
  ipAddressPools: [],
  l2Advertisements: [],
  members: ["a", "b", "c"],
};

type Change = (c: Cluster) => Cluster;

// With 10.0.0.9 the hash orders d, b, a, c; with 10.0.0.2 b, d, c, a.
const CHANGES: Record<string, Change> = {
  pool: (c) => ({ ...c, ipAddressPools: [aPool("p", { addresses: ["10.0.0.0/24"] })] }),
  advertisement: (c) => ({
    ...c,
    l2Advertisements: [anL2Ad("ad", { nodeSelectors: [{ matchLabels: L2 }] })],
  }),
  services: (c) => ({
    ...c,
    services: [
      anAnnouncedService("web", ["10.0.0.9"]),
      anAnnouncedService("local", ["10.0.0.2"], { etp: "Local" }),
    ],
  }),
  endpointSlices: (c) => ({ ...c, endpointSlices: [aSlice("web", ["a", "b"]), aSlice("local", ["a", "c"])] }),
  nodeLabel: (c) => ({
    ...c,
    nodes: c.nodes.map((n) => (n.metadata.name === "d" ? aNodeObject("d", { labels: L2 }) : n)),
  }),
  memberJoin: (c) => ({ ...c, members: [...(c.members ?? []), "d"] }),
};

function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest]),
  );
}

/** The parts of an outcome that must not depend on history. */
function settled(o: SpeakerOutcome) {
  return {
    entries: o.l2.entries,
    decisions: o.l2.decisions,
    statuses: o.l2.statuses,
    announcedGauge: announcedRowsOf(o.announcedGauge),
    configStale: o.configStale,
    configLoaded: o.configLoaded,
    configurationState: o.configurationState,
    announced: o.state.announced,
    owners: o.state.owners,
  };
}

describe("order independence", () => {
  const orders = permutations(Object.keys(CHANGES));

  test("720 orders of {pool, advertisement, services, slices, node label, member join}: one final outcome", () => {
    expect(orders).toHaveLength(720);
    const final = Object.values(CHANGES).reduce((c, change) => change(c), start);
    const expected = new Map(
      NODES.map((n) => [
        n,
        settled(reconcileSpeaker(inputsFor(final, n), initialSpeakerState, defaultOptions)),
      ]),
    );
    // The final answer itself: web (.9) from d, local (.2, ETP Local, endpoints on a and c) from c.
    expect(expected.get("d")!.entries).toEqual([
      { ip: "10.0.0.9", interfaces: [], services: ["default/web"] },
    ]);
    expect(expected.get("c")!.entries).toEqual([
      { ip: "10.0.0.2", interfaces: [], services: ["default/local"] },
    ]);
    expect(expected.get("a")!.entries).toEqual([]);
    expect(expected.get("b")!.entries).toEqual([]);

    const distinct = new Set<string>();
    for (const order of orders) {
      const speakers = new Speakers(NODES);
      let cluster = start;
      speakers.reconcile(cluster);
      for (const name of order) {
        cluster = CHANGES[name]!(cluster);
        speakers.reconcile(cluster);
        // Never two announcers for one IP along the way (all speakers see the same member set).
        for (const nodes of Object.values(speakers.announcers())) expect(nodes).toHaveLength(1);
      }
      for (const node of NODES) {
        const got = settled(speakers.last.get(node)!);
        if (!Bun.deepEquals(got, expected.get(node)!)) {
          distinct.add(`${order.join(",")} @${node}`);
          expect(got).toEqual(expected.get(node)!);
        }
      }
      expect(speakers.announcers()).toEqual({ "10.0.0.2": ["c"], "10.0.0.9": ["d"] });
    }
    expect([...distinct]).toEqual([]);
  });

  test("in every order, the last nodeAssigned of each Service comes from its final owner", () => {
    for (const order of orders) {
      const speakers = new Speakers(NODES);
      let cluster = start;
      const seen: string[] = [];
      speakers.reconcile(cluster);
      for (const name of order) {
        cluster = CHANGES[name]!(cluster);
        for (const [node, o] of speakers.reconcile(cluster))
          for (const e of o.events) seen.push(`${e.name}@${node}`);
      }
      // Every takeover was announced once: the last one of each Service is at its final owner.
      const lastOf = (svc: string) => seen.filter((s) => s.startsWith(`${svc}@`)).at(-1);
      expect([lastOf("web"), lastOf("local")]).toEqual(["web@d", "local@c"]);
    }
  });
});
