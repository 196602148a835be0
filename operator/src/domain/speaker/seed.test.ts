/**
 * The seed lab (docs/lab.md): four kind nodes, the control plane labelled
 * exclude-from-external-load-balancers (kind does that), the pool and L2Advertisement verbatim,
 * svc1..svc3 holding 172.18.255.200/.201/.202 (what our controller assigns them). With the real
 * SHA-256 order, svc1 and svc2 go to myk8s-worker and svc3 to myk8s-worker3: exactly what the
 * seed note's Events showed.
 */
import { describe, expect, test } from "bun:test";
import { anL2Ad, aPool } from "../config/testing.ts";
import {
  aNodeObject,
  anAnnouncedService,
  aSlice,
  type Cluster,
  defaultOptions,
  Speakers,
} from "./testing.ts";

const CP = "myk8s-control-plane";
const W1 = "myk8s-worker";
const W2 = "myk8s-worker2";
const W3 = "myk8s-worker3";
const NODES = [CP, W1, W2, W3];

const seed: Cluster = {
  nodes: [
    aNodeObject(CP, {
      labels: {
        "node-role.kubernetes.io/control-plane": "",
        "node.kubernetes.io/exclude-from-external-load-balancers": "",
      },
    }),
    aNodeObject(W1),
    aNodeObject(W2),
    aNodeObject(W3),
  ],
  services: ["svc1", "svc2", "svc3"].map((name, i) =>
    anAnnouncedService(name, [`172.18.255.20${i}`], { selector: { app: "webpod" } }),
  ),
  // The webpod Deployment's pods run on the workers.
  endpointSlices: ["svc1", "svc2", "svc3"].map((name) => aSlice(name, [W1, W2, W3])),
  ipAddressPools: [aPool("my-ippool", { addresses: ["172.18.255.200-172.18.255.250"] })],
  l2Advertisements: [anL2Ad("my-l2-advertise", { ipAddressPools: ["my-ippool"] })],
  members: NODES,
};

const messages = (speakers: Speakers, nodes: readonly string[]) =>
  nodes.flatMap((n) =>
    (speakers.last.get(n)?.events ?? []).map((e) => `${e.name}: ${e.event.reason} ${e.event.message}`),
  );

describe("the seed lab", () => {
  test("step 5: svc1, svc2 from myk8s-worker, svc3 from myk8s-worker3; one nodeAssigned each", () => {
    const speakers = new Speakers(NODES);
    speakers.reconcile(seed);
    expect(speakers.announcers()).toEqual({
      "172.18.255.200": [W1],
      "172.18.255.201": [W1],
      "172.18.255.202": [W3],
    });
    expect(messages(speakers, NODES)).toEqual([
      'svc1: nodeAssigned announcing from node "myk8s-worker" with protocol "layer2"',
      'svc2: nodeAssigned announcing from node "myk8s-worker" with protocol "layer2"',
      'svc3: nodeAssigned announcing from node "myk8s-worker3" with protocol "layer2"',
    ]);
    const cp = speakers.last.get(CP)!;
    expect(cp.l2.decisions.map((d) => (d.announce ? "announce" : d.reason))).toEqual([
      "nodeLabeledExcludeBalancers",
      "nodeLabeledExcludeBalancers",
      "nodeLabeledExcludeBalancers",
    ]);
    expect(speakers.last.get(W2)!.l2.decisions.map((d) => (d.announce ? "announce" : d.reason))).toEqual([
      "notOwner",
      "notOwner",
      "notOwner",
    ]);
    // A second pass changes nothing and emits nothing.
    speakers.reconcile(seed);
    expect(messages(speakers, NODES)).toEqual([]);
  });

  test("the full candidate order per IP (control plane excluded)", () => {
    const speakers = new Speakers([W1]);
    const out = speakers.reconcile(seed).get(W1)!;
    expect(Object.fromEntries(out.l2.decisions.map((d) => [d.ips[0], d.candidates]))).toEqual({
      "172.18.255.200": [W1, W2, W3],
      "172.18.255.201": [W1, W3, W2],
      "172.18.255.202": [W3, W2, W1],
    });
  });

  test("steps 8-9: myk8s-worker dies, its IPs move; it returns and they come back (revertive)", () => {
    const speakers = new Speakers(NODES);
    speakers.reconcile(seed);
    const alive = [CP, W2, W3];
    speakers.reconcile({ ...seed, members: alive }, alive);
    expect(speakers.announcers(alive)).toEqual({
      "172.18.255.200": [W2],
      "172.18.255.201": [W3],
      "172.18.255.202": [W3],
    });
    // The seed note says svc1 and svc2 both went to myk8s-worker2; by the hash, svc2's .201
    // ranks myk8s-worker3 second, so it goes there (the note's IPs or reading may differ).
    expect(messages(speakers, alive)).toEqual([
      'svc1: nodeAssigned announcing from node "myk8s-worker2" with protocol "layer2"',
      'svc2: nodeAssigned announcing from node "myk8s-worker3" with protocol "layer2"',
    ]);
    // The node comes back: its speaker starts with no memory and rejoins.
    speakers.restart(W1);
    speakers.reconcile(seed);
    expect(speakers.announcers()).toEqual({
      "172.18.255.200": [W1],
      "172.18.255.201": [W1],
      "172.18.255.202": [W3],
    });
    expect(messages(speakers, NODES)).toEqual([
      'svc1: nodeAssigned announcing from node "myk8s-worker" with protocol "layer2"',
      'svc2: nodeAssigned announcing from node "myk8s-worker" with protocol "layer2"',
    ]);
  });

  test("non-revertive: after failover the IPs stay where they moved", () => {
    const options = { ...defaultOptions, nonRevertive: true };
    const speakers = new Speakers(NODES, options);
    speakers.reconcile(seed);
    const alive = [CP, W2, W3];
    speakers.reconcile({ ...seed, members: alive }, alive);
    // The returning speaker has no memory; the ServiceL2Status objects tell it who announces.
    speakers.restart(W1);
    const statuses = alive.flatMap((node) =>
      speakers.last.get(node)!.l2.statuses.map((s) => ({
        apiVersion: "metallb.io/v1beta1" as const,
        kind: "ServiceL2Status" as const,
        metadata: { name: `l2-${s.serviceName}-${node}`, namespace: "metallb-system" },
        status: { node: s.node, serviceName: s.serviceName, serviceNamespace: s.serviceNamespace },
      })),
    );
    speakers.reconcile({ ...seed, serviceL2Statuses: statuses });
    expect(speakers.announcers()).toEqual({
      "172.18.255.200": [W2],
      "172.18.255.201": [W3],
      "172.18.255.202": [W3],
    });
    expect(messages(speakers, NODES)).toEqual([]);
  });

  test("non-revertive: a SIGKILLed owner's leftover ServiceL2Status does not make it claim the IP back", () => {
    const options = { ...defaultOptions, nonRevertive: true };
    const speakers = new Speakers(NODES, options);
    speakers.reconcile(seed);
    const status = (node: string, service: string) => ({
      apiVersion: "metallb.io/v1beta1" as const,
      kind: "ServiceL2Status" as const,
      metadata: { name: `l2-${service}-${node}`, namespace: "metallb-system" },
      status: { node, serviceName: service, serviceNamespace: "default" },
    });
    // W1 was killed while announcing svc1 and svc2: its objects stay behind, beside the successors'.
    const leftovers = [status(W1, "svc1"), status(W1, "svc2")];
    const alive = [CP, W2, W3];
    speakers.reconcile({ ...seed, members: alive }, alive);
    const successors = alive.flatMap((node) =>
      speakers.last.get(node)!.l2.statuses.map((s) => status(s.node, s.serviceName)),
    );
    speakers.restart(W1);
    speakers.reconcile({ ...seed, serviceL2Statuses: [...leftovers, ...successors] });
    expect(speakers.announcers()).toEqual({
      "172.18.255.200": [W2],
      "172.18.255.201": [W3],
      "172.18.255.202": [W3],
    });
  });

  test("--ignore-exclude-lb lets the control plane win where it hashes first", () => {
    const speakers = new Speakers(NODES, { ...defaultOptions, ignoreExcludeLB: true });
    speakers.reconcile(seed);
    const out = speakers.last.get(W1)!;
    expect(Object.fromEntries(out.l2.decisions.map((d) => [d.ips[0], d.candidates]))).toEqual({
      "172.18.255.200": [W1, CP, W2, W3],
      "172.18.255.201": [W1, W3, W2, CP],
      "172.18.255.202": [W3, W2, W1, CP],
    });
  });
});
