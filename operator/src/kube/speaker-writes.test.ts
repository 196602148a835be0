import { describe, expect, test } from "bun:test";
import type { DesiredBgpStatus } from "../domain/speaker/desired.ts";
import type { KubeClient } from "./client.ts";
import { bgpStatusJobs, StatusJobMemo } from "./speaker-writes.ts";
import type { KubeObject } from "./types.ts";

const client = {} as KubeClient;

const desired = (service: string, peers: string[]): DesiredBgpStatus => ({
  key: `default/${service}`,
  node: "n1",
  serviceName: service,
  serviceNamespace: "default",
  peers,
});

const observed = (
  name: string,
  service: string,
  peers: string[],
  node = "n1",
): KubeObject & { status: { node: string; peers: string[] } } => ({
  metadata: {
    name,
    labels: {
      "metallb.io/node": node,
      "metallb.io/service-name": service,
      "metallb.io/service-namespace": "default",
    },
  },
  status: { node, peers },
});

describe("bgpStatusJobs", () => {
  test("create the missing, update the changed, delete duplicates and the unwanted", () => {
    const jobs = bgpStatusJobs(
      client,
      "metallb-system",
      "n1",
      [desired("a", ["r1"]), desired("b", ["r1", "r2"]), desired("c", ["r1"])],
      [
        observed("bgp-b2", "b", ["r1"]),
        observed("bgp-b1", "b", ["r1"]),
        observed("bgp-b3", "b", ["r1"]),
        observed("bgp-c", "c", ["r1"]),
        observed("bgp-gone", "gone", ["r1"]),
        observed("bgp-other", "a", ["r1"], "n2"),
      ],
    );
    expect([...jobs.keys()].sort()).toEqual([
      "create:default/a",
      "delete:bgp-b2",
      "delete:bgp-b3",
      "delete:bgp-gone",
      "update:bgp-b1",
    ]);
  });

  test("the same desired object waiting for its write gets the same job; a job done is forgotten", () => {
    const memo = new StatusJobMemo();
    const d = desired("a", ["r1", "r2"]);
    const run = (peers: string[]) =>
      bgpStatusJobs(client, "metallb-system", "n1", [d], [observed("bgp-a", "a", peers)], memo);
    const first = run(["r1"]).get("update:bgp-a");
    expect(first).toBeDefined();
    expect(run(["r1"]).get("update:bgp-a")).toBe(first as NonNullable<typeof first>);
    expect(run(["r1", "r2"]).size).toBe(0);
    // Reverted by someone: a new job, not the one that already ran.
    expect(run(["r1"]).get("update:bgp-a")).not.toBe(first as NonNullable<typeof first>);
  });

  test("an equal desired object that is a different one gets a new job (its fingerprint equal)", () => {
    const memo = new StatusJobMemo();
    const run = (d: DesiredBgpStatus) =>
      bgpStatusJobs(client, "metallb-system", "n1", [d], [observed("bgp-a", "a", ["r1"])], memo);
    const first = run(desired("a", ["r1", "r2"])).get("update:bgp-a");
    const second = run(desired("a", ["r1", "r2"])).get("update:bgp-a");
    expect(second).not.toBe(first as NonNullable<typeof first>);
    expect(second?.fingerprint).toBe(first?.fingerprint as string);
  });
});
