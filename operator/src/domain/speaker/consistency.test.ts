/**
 * Every speaker computes the election on its own. For random clusters, when the four speakers
 * share one member set, each IP must be announced by exactly one node when anybody qualifies and
 * by none otherwise, and all four must name the same owner: the property MetalLB's Layer 2 mode
 * rests on ("every speaker agrees without talking").
 */
import { describe, expect, test } from "bun:test";
import type { EndpointSlice, Service } from "../api/core.ts";
import type { L2Advertisement } from "../api/l2-advertisement.ts";
import { anL2Ad, aPool } from "../config/testing.ts";
import {
  aNodeObject,
  anAnnouncedService,
  aSlice,
  type Cluster,
  defaultOptions,
  Speakers,
} from "./testing.ts";

const NODES = ["n1", "n2", "n3", "n4"];

function rng(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    chance: (p: number) => next() < p,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!,
    subset: <T>(items: readonly T[], p = 0.5): T[] => items.filter(() => next() < p),
  };
}

function randomCluster(seed: number): Cluster {
  const r = rng(seed);
  const nodes = NODES.map((name) =>
    aNodeObject(name, {
      labels: {
        zone: r.pick(["z1", "z2"]),
        ...(r.chance(0.15) ? { "node.kubernetes.io/exclude-from-external-load-balancers": "" } : {}),
      },
      networkUnavailable: r.chance(0.1),
    }),
  );
  const ads: L2Advertisement[] = [];
  const adCount = 1 + r.int(3);
  for (let i = 0; i < adCount; i++) {
    ads.push(
      anL2Ad(`ad${i}`, {
        ipAddressPools: r.chance(0.7) ? ["p"] : [],
        nodeSelectors: r.chance(0.4) ? [{ matchLabels: { zone: r.pick(["z1", "z2"]) } }] : [],
        serviceSelectors: r.chance(0.3) ? [{ matchLabels: { tier: r.pick(["web", "db"]) } }] : [],
        interfaces: r.chance(0.3) ? [r.pick(["eth0", "eth1"])] : [],
        preferredNodeSelectors: r.chance(0.4)
          ? [{ weight: 1 + r.int(100), preference: { matchLabels: { zone: r.pick(["z1", "z2"]) } } }]
          : [],
      }),
    );
  }
  // Like the controller: an IP is reused only by Services with the same sharing key, the same
  // traffic policy and (for Local) the same selector, hence the same endpoints.
  const services: Service[] = [];
  const slices: EndpointSlice[] = [];
  const used = new Set<string>();
  const fresh = (make: () => string) => {
    let ip = make();
    while (used.has(ip)) ip = make();
    used.add(ip);
    return ip;
  };
  const serviceCount = 1 + r.int(8);
  for (let i = 0; i < serviceCount; i++) {
    const name = `s${i}`;
    const sharedWith = i > 0 && r.chance(0.25) ? services[r.int(services.length)] : undefined;
    const ips =
      sharedWith?.status?.loadBalancer?.ingress?.map((e) => e.ip ?? "") ??
      (r.chance(0.1)
        ? [fresh(() => `10.0.${r.int(2)}.${1 + r.int(250)}`), fresh(() => `fd00::${1 + r.int(200)}`)]
        : [fresh(() => `10.0.${r.int(2)}.${1 + r.int(250)}`)]);
    const etp = sharedWith?.spec?.externalTrafficPolicy ?? (r.chance(0.3) ? "Local" : "Cluster");
    const selector = sharedWith === undefined ? { app: name } : { ...sharedWith.spec?.selector };
    services.push(
      anAnnouncedService(name, ips, {
        labels: { tier: r.pick(["web", "db"]) },
        etp: etp as "Local" | "Cluster",
        selector,
        annotations: sharedWith !== undefined || r.chance(0.2) ? { "metallb.io/allow-shared-ip": "k" } : {},
      }),
    );
    const sibling =
      sharedWith &&
      slices.find((sl) => sl.metadata.labels?.["kubernetes.io/service-name"] === sharedWith.metadata.name);
    if (sibling !== undefined)
      slices.push({
        ...sibling,
        metadata: { ...sibling.metadata, name: `${name}-x`, labels: { "kubernetes.io/service-name": name } },
      });
    else if (sharedWith === undefined && r.chance(0.9))
      slices.push(aSlice(name, r.subset(NODES), { ready: r.chance(0.85) }));
  }
  return {
    nodes,
    services,
    endpointSlices: slices,
    ipAddressPools: [aPool("p", { addresses: ["10.0.0.0/23", "fd00::/120"] })],
    l2Advertisements: ads,
    members: r.chance(0.2) ? undefined : r.subset(NODES, 0.8),
  };
}

describe("consistency across speakers", () => {
  test("random clusters: one owner per IP, agreed by all, announced by exactly that node", () => {
    let announcedIPs = 0;
    let silentIPs = 0;
    for (let seed = 1; seed <= 400; seed++) {
      const cluster = randomCluster(seed);
      for (const options of [defaultOptions, { ...defaultOptions, ignoreExcludeLB: true }]) {
        const speakers = new Speakers(NODES, options);
        const outcomes = speakers.reconcile(cluster);
        const announcers = speakers.announcers();
        // Per Service, every speaker computes the same owner.
        const ownersByService = new Map<string, Set<string | undefined>>();
        for (const o of outcomes.values()) {
          for (const d of o.l2.decisions) {
            const set = ownersByService.get(d.key) ?? new Set();
            set.add(d.owner);
            ownersByService.set(d.key, set);
          }
        }
        for (const [key, owners] of ownersByService) {
          if (owners.size !== 1) throw new Error(`seed ${seed}: ${key} owners ${[...owners]}`);
        }
        // Per IP: one announcer when someone owns it, none otherwise, and it is the owner.
        const decisions = outcomes.get(NODES[0]!)!.l2.decisions;
        const ips = new Set(decisions.flatMap((d) => d.ips));
        for (const ip of ips) {
          const owners = new Set(decisions.filter((d) => d.ips.includes(ip)).map((d) => d.owner));
          owners.delete(undefined);
          const got = announcers[ip] ?? [];
          if (owners.size === 0) {
            expect(got).toEqual([]);
            silentIPs++;
          } else {
            expect(owners.size).toBe(1);
            expect(got).toEqual([...owners] as string[]);
            announcedIPs++;
          }
          if (cluster.members !== undefined) for (const node of got) expect(cluster.members).toContain(node);
        }
      }
    }
    // The generator exercises both outcomes.
    expect(announcedIPs).toBeGreaterThan(300);
    expect(silentIPs).toBeGreaterThan(100);
  });
});
