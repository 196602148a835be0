import { describe, expect, test } from "bun:test";
import { aBGPAd, anL2Ad, aPeer, aPool } from "../config/testing.ts";
import { initialSpeakerState, reconcileSpeaker, type SpeakerState } from "./reconcile.ts";
import { aNodeObject, type Cluster, defaultOptions, emptyCluster, inputsFor } from "./testing.ts";

const base: Cluster = {
  ...emptyCluster,
  nodes: [aNodeObject("a", { labels: { rack: "r1" } }), aNodeObject("b", { labels: { rack: "r2" } })],
  members: ["a", "b"],
  ipAddressPools: [aPool("p", { addresses: ["10.0.0.0/24"] })],
};
const bgpOnly: Cluster = {
  ...base,
  bgpPeers: [aPeer("tor", { peerAddress: "172.18.0.254", peerASN: 64500 })],
  bgpAdvertisements: [aBGPAd("all")],
};

const run = (cluster: Cluster, state: SpeakerState = initialSpeakerState) =>
  reconcileSpeaker(inputsFor(cluster, "a"), state, defaultOptions);

describe("reconcileSpeaker, which protocols the configuration asks for", () => {
  test("no configuration, or one without an L2Advertisement: Layer 2 is not configured", () => {
    expect(run(emptyCluster).l2.configured).toBe(false);
    expect(run(base).l2.configured).toBe(false);
    expect(run(bgpOnly).l2.configured).toBe(false);
  });

  test("an L2Advertisement configures Layer 2 on every node, owning a Service or not", () => {
    expect(run({ ...base, l2Advertisements: [anL2Ad("l2")] }).l2.configured).toBe(true);
    expect(run({ ...bgpOnly, l2Advertisements: [anL2Ad("l2")] }).l2.configured).toBe(true);
    // Selecting other nodes only: this one may still take over after a label change.
    const elsewhere = anL2Ad("l2", { nodeSelectors: [{ matchLabels: { rack: "r2" } }] });
    const outcome = run({ ...base, l2Advertisements: [elsewhere] });
    expect(outcome.l2.entries).toEqual([]);
    expect(outcome.l2.configured).toBe(true);
  });

  test("an advertisement for no pool configures nothing", () => {
    const none = anL2Ad("l2", { ipAddressPoolSelectors: [{ matchLabels: { absent: "yes" } }] });
    expect(run({ ...base, l2Advertisements: [none] }).l2.configured).toBe(false);
  });

  test("the configuration in use decides: an invalid one keeps the last good one's answer", () => {
    const withL2 = run({ ...base, l2Advertisements: [anL2Ad("l2")] });
    const invalid = run(
      {
        ...base,
        ipAddressPools: [aPool("p", { addresses: ["not-a-range"] })],
        l2Advertisements: [],
      },
      withL2.state,
    );
    expect(invalid.configStale).toBe(true);
    expect(invalid.l2.configured).toBe(true);
    expect(run(base, invalid.state).l2.configured).toBe(false);
  });
});
