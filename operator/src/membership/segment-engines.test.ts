import { expect, test } from "bun:test";
import type { BeatDestination } from "./destination.ts";
import { type EngineConfig, type EngineSink, MembershipEngine } from "./engine.ts";
import { beatKeyFromSecret } from "./key.ts";
import { SegmentEngines } from "./segment-engines.ts";
import { Hub } from "./testing/hub.ts";
import { ManualClock } from "./testing/manual-clock.ts";

const key = beatKeyFromSecret(new TextEncoder().encode("segment engines test secret"));

function config(nodeName: string): EngineConfig {
  return {
    nodeName,
    key,
    intervalMs: 100,
    deadAfterMs: 400,
    warmUpMs: 400,
    holdDownMs: 400,
    leavingCopies: 3,
    leavingSpacingMs: 10,
  };
}

const destination = (ifname: string, sendTo: string): BeatDestination => ({
  family: "IPv4",
  kind: "broadcast",
  ifname,
  bindAddress: "192.0.2.1",
  sendTo,
  listenOn: sendTo,
  join: undefined,
});

const ignore: Omit<EngineSink, "members"> = {
  log: () => {},
  sent: () => {},
  accepted: () => {},
  dropped: () => {},
  stalled: () => {},
};

/** Three nodes whose "eth1" segments share one hub; what each reported, by node. */
function cluster(clock: ManualClock) {
  const hub = new Hub();
  const reports = new Map<string, string[]>();
  const nodes = new Map<string, SegmentEngines>();
  for (const name of ["a", "b", "c"]) {
    reports.set(name, []);
    const engines = new SegmentEngines(
      (_destination, sink) => new MembershipEngine(config(name), clock, hub.attach(name), sink),
      {
        sink: ignore,
        members: (ifname, members) =>
          reports
            .get(name)!
            .push(`${ifname}=${members === undefined ? "closed" : [...members].sort().join(",")}`),
      },
    );
    nodes.set(name, engines);
  }
  return { nodes, reports };
}

test("each node reports the segment's own members after its warm-up, loses a silent one, and a closed segment reports none", async () => {
  const clock = new ManualClock();
  const { nodes, reports } = cluster(clock);
  for (const engines of nodes.values())
    await engines.set([{ ifname: "eth1", destination: destination("eth1", "172.19.0.255") }]);
  clock.advance(399);
  expect(reports.get("a")).toEqual([]);
  clock.advance(1);
  expect(reports.get("a")).toEqual(["eth1=a,b,c"]);
  expect(reports.get("b")).toEqual(["eth1=a,b,c"]);
  // c's segment closes without a word (its link died): the others drop it after the silence.
  nodes.get("c")!.stop();
  expect(reports.get("c")).toEqual(["eth1=a,b,c", "eth1=closed"]);
  clock.advance(400);
  expect(reports.get("a")!.at(-1)).toBe("eth1=a,b");
  // a no longer announces there: its leaving beats tell b at once.
  await nodes.get("a")!.set([]);
  expect(reports.get("a")!.at(-1)).toBe("eth1=closed");
  clock.advance(50);
  expect(reports.get("b")!.at(-1)).toBe("eth1=b");
  nodes.get("b")!.stop();
});

test("a segment whose destination changes is opened again and warms up again", async () => {
  const clock = new ManualClock();
  const { nodes, reports } = cluster(clock);
  const a = nodes.get("a")!;
  await a.set([{ ifname: "eth1", destination: destination("eth1", "172.19.0.255") }]);
  clock.advance(400);
  expect(reports.get("a")).toEqual(["eth1=a"]);
  await a.set([{ ifname: "eth1", destination: destination("eth1", "172.20.0.255") }]);
  expect(reports.get("a")!.at(-1)).toBe("eth1=closed");
  clock.advance(399);
  expect(reports.get("a")!.at(-1)).toBe("eth1=closed");
  clock.advance(1);
  expect(reports.get("a")!.at(-1)).toBe("eth1=a");
  a.stop();
});
