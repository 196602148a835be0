import { describe, expect, test } from "bun:test";
import type { ConfigurationState } from "../api/configuration-state.ts";
import { speakerConfigurationStateStatus } from "../speaker/configuration-state.ts";
import { explainService } from "./explain-service.ts";
import type { ExplainSnapshot } from "./snapshot.ts";
import { liveSpeakers, speakerOn } from "./speakers.ts";
import { explainOptions, NODES, seedSnapshot } from "./testing.ts";

/** A speaker's ConfigurationState as the speaker's own domain code writes it. */
function reportOf(node: string, hears: readonly string[]): ConfigurationState {
  return {
    apiVersion: "metallb.io/v1beta1",
    kind: "ConfigurationState",
    metadata: { name: `speaker-${node}` },
    status: speakerConfigurationStateStatus([], explainOptions.now, undefined, { members: hears }),
  };
}

const withoutPods = (reports: ConfigurationState[]): ExplainSnapshot => ({
  ...seedSnapshot(),
  speakers: undefined,
  configurationStates: reports,
});

describe("speakers as their membership reports show them", () => {
  test("a killed speaker: its own stale report lists everyone, nobody else hears it", () => {
    const alive = NODES.filter((n) => n !== "myk8s-worker2");
    const snapshot = withoutPods([...alive.map((n) => reportOf(n, alive)), reportOf("myk8s-worker2", NODES)]);
    expect(speakerOn(snapshot, "myk8s-worker2")).toBe("notAlive");
    expect(speakerOn(snapshot, "myk8s-worker")).toBe("running");
    expect(liveSpeakers(snapshot)).toEqual(alive);
    const e = explainService(snapshot, "default", "svc1", explainOptions);
    expect(e.nodes.find((n) => n.node === "myk8s-worker2")?.layer2?.code).toBe("speakerNotRunning");
  });

  test("neither Pods nor reports: unknown, and every node counts (as speakers without membership do)", () => {
    const snapshot = withoutPods([]);
    expect(speakerOn(snapshot, "myk8s-worker")).toBe("unknown");
    expect(liveSpeakers(snapshot)).toBeUndefined();
  });

  test("a running Pod whose speaker the others do not hear is not alive", () => {
    const snapshot: ExplainSnapshot = {
      ...seedSnapshot(),
      configurationStates: NODES.map((n) => reportOf(n, n === "myk8s-worker3" ? NODES : NODES.slice(0, 3))),
    };
    expect(speakerOn(snapshot, "myk8s-worker3")).toBe("notAlive");
    expect(speakerOn(snapshot, "myk8s-control-plane")).toBe("running");
  });
});
