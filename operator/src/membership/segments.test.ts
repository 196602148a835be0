import { expect, test } from "bun:test";
import type { Interfaces } from "./destination.ts";
import { lostSegments, sameChannels, segmentPlan } from "./segments.ts";
import { v4, v6 } from "./testing/interfaces.ts";

const interfaces: Interfaces = {
  lo: [v4("127.0.0.1", 8, true)],
  eth0: [v4("172.18.0.3", 16), v6("fc00:f853:ccd:e793::3", 64)],
  eth1: [v4("172.19.0.3", 24), v4("10.9.0.1", 32), v6("fd00:19::3", 64), v6("fe80::1", 64)],
  eth2: [v6("fe80::2", 64), v6("fd00:20::3", 64)],
  eth3: [v4("192.0.2.1", 32), v6("fe80::3", 64)],
};

test("one segment per announcing interface but the bind address's, beating on its IPv4 broadcast", () => {
  const plan = segmentPlan(["eth1", "eth0"], interfaces, "eth0");
  expect(plan.skipped).toEqual([]);
  expect(plan.channels).toEqual([
    {
      ifname: "eth1",
      destination: {
        family: "IPv4",
        kind: "broadcast",
        ifname: "eth1",
        bindAddress: "172.19.0.3",
        sendTo: "172.19.0.255",
        listenOn: "172.19.0.255",
        join: undefined,
      },
      // Every subnet of the interface, the /32 included; link-local ones aside.
      prefixes: ["10.9.0.1/32", "172.19.0.0/24", "fd00:19::/64"],
    },
  ]);
});

test("an interface with only IPv6 beats on ff02::1 from its global address; one with neither is skipped", () => {
  const plan = segmentPlan(["eth2", "eth3"], interfaces, "eth0");
  expect(
    plan.channels.map((c) => [c.ifname, c.destination.bindAddress, c.destination.sendTo, c.prefixes]),
  ).toEqual([["eth2", "fd00:20::3", "ff02::1%eth2", ["fd00:20::/64"]]]);
  expect(plan.skipped).toEqual([
    { ifname: "eth3", why: "no IPv4 address with a broadcast and no global IPv6 address" },
  ]);
});

test("an interface gone from the machine is skipped; equal plans compare equal", () => {
  const plan = segmentPlan(["eth9", "eth1"], interfaces, "eth0");
  expect(plan.skipped.map((s) => s.ifname)).toEqual(["eth9"]);
  expect(sameChannels(plan.channels, segmentPlan(["eth1"], interfaces, "eth0").channels)).toBe(true);
  expect(sameChannels(plan.channels, [])).toBe(false);
});

test("a segment whose interface went down is lost (heard by nobody here); one merely no longer announced is not", () => {
  const beating = segmentPlan(["eth1", "eth2"], interfaces, "eth0").channels;
  const { eth1: _down, ...eth1Down } = interfaces;
  // eth1 went down (os.networkInterfaces lists running interfaces only), eth2 is no longer announced.
  const lost = lostSegments(beating, [], eth1Down, new Map());
  expect([...lost]).toEqual([["eth1", ["10.9.0.1/32", "172.19.0.0/24", "fd00:19::/64"]]]);
  // Kept while it is down, and while it is planned again but not warmed up (the caller forgets it).
  expect([...lostSegments([], [], eth1Down, lost)]).toEqual([...lost]);
  expect([...lostSegments([], segmentPlan(["eth1"], interfaces, "eth0").channels, interfaces, lost)]).toEqual(
    [...lost],
  );
});
