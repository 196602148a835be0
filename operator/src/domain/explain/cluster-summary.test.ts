import { describe, expect, test } from "bun:test";
import { aService } from "../allocator/testing.ts";
import { aPool } from "../config/testing.ts";
import { clusterSummary } from "./cluster-summary.ts";
import { explainService } from "./explain-service.ts";
import { anL2Status, explainOptions, NODES, seedSnapshot, served } from "./testing.ts";

const OWNER = explainService(seedSnapshot(), "default", "svc1", explainOptions).nodes.find(
  (n) => n.layer2?.code === "announces",
)!.node;

describe("clusterSummary", () => {
  test("a healthy cluster: pools with usage, advertisements, speakers", () => {
    const s = clusterSummary(seedSnapshot(OWNER), explainOptions);
    expect(s.healthy).toBe(true);
    expect(s.summary).toBe("all well: 1 LoadBalancer Service(s) announced as decided, 1 pool(s)");
    expect(s.pools).toEqual([
      {
        name: "my-ippool",
        usage: "1 of 51 IPv4 addresses used",
        autoAssign: true,
        advertisedBy: ["L2Advertisement my-l2-advertise"],
      },
    ]);
    expect(s.advertisements[0]).toMatchObject({
      kind: "L2Advertisement",
      name: "my-l2-advertise",
      pools: ["my-ippool"],
    });
    expect(s.speakers.map((x) => x.speaker)).toEqual(["running", "running", "running", "running"]);
    expect(s.speakers.map((x) => x.bgpSessions)).toEqual(["", "", "", ""]);
  });

  test("BGP sessions as each speaker reports them", () => {
    const state = (node: string, status: "True" | "False", message: string) => ({
      apiVersion: "metallb.io/v1beta1" as const,
      kind: "ConfigurationState" as const,
      metadata: { name: `speaker-${node}` },
      status: {
        result: "Valid" as const,
        conditions: [
          {
            type: "bgpSessionsEstablished",
            status,
            reason: "x",
            message,
            lastTransitionTime: explainOptions.now,
          },
        ],
      },
    });
    const s = clusterSummary(
      {
        ...seedSnapshot(),
        configurationStates: [
          state("myk8s-worker", "True", ""),
          state("myk8s-worker2", "False", "tor: not established (refused)"),
        ],
      },
      explainOptions,
    );
    expect(s.speakers.map((x) => x.bgpSessions)).toEqual([
      "",
      "all established",
      "tor: not established (refused)",
      "",
    ]);
  });

  test("config errors, failing Services and missing speakers are the findings", () => {
    const snapshot = {
      ...seedSnapshot(OWNER),
      ipAddressPools: [aPool("my-ippool", { addresses: ["172.18.255.200/32"] })],
      services: [served("svc1", "172.18.255.200"), aService("svc2")],
      serviceL2Statuses: [anL2Status("svc1", OWNER)],
      speakers: NODES.map((node) => ({
        node,
        state: node === "myk8s-worker" ? ("notReady" as const) : ("running" as const),
      })),
    };
    const s = clusterSummary(snapshot, explainOptions);
    expect(s.healthy).toBe(false);
    expect(s.problems.map((p) => p.service)).toContain("default/svc2");
    expect(s.summary).toContain("LoadBalancer Services not announced as decided");
    expect(s.summary).toEndWith("; no running speaker on myk8s-worker");
    const broken = clusterSummary(
      {
        ...snapshot,
        ipAddressPools: [...snapshot.ipAddressPools, aPool("b", { addresses: ["172.18.255.200/32"] })],
      },
      explainOptions,
    );
    expect(broken.configErrors.length).toBeGreaterThan(0);
    expect(broken.summary).toStartWith("1 configuration error(s): IPAddressPool");
  });
});
