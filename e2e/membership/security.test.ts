/**
 * Authentication on the real segment: packets captured off the wire and replayed, cut short, or
 * tagged with the wrong key (sent from mypc, which has no key) are ignored and counted by reason;
 * a member without the key neither joins nor admits the keyed members.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import type { MembershipCounters } from "../../operator/src/membership/engine.ts";
import { netDown, netDownOnSignals, netUp, spawnIn } from "../net/testbed.ts";
import { CLIENT, NODES } from "../net/topology.ts";
import {
  BROADCAST,
  INJECT_SCRIPT,
  type MemberProc,
  NODE_NAMES,
  report,
  startMember,
  waitAllSee,
  wallNow,
} from "./support.ts";

let members: MemberProc[] = [];
let extra: MemberProc | undefined;

beforeAll(async () => {
  netDownOnSignals();
  await netUp();
  members = NODES.map((n) => startMember(n));
  await waitAllSee(members, NODE_NAMES, 15_000);
}, 660_000);

afterAll(async () => {
  await Promise.all([...members, ...(extra ? [extra] : [])].map((m) => m.kill()));
  await netDown();
}, 60_000);

const dropsOf = (after: MembershipCounters, before: MembershipCounters) =>
  Object.fromEntries(
    Object.entries(after.dropped)
      .map(([reason, n]) => [reason, n - before.dropped[reason as keyof MembershipCounters["dropped"]]])
      .filter(([reason, n]) => reason !== "self" && (n as number) > 0),
  );

test("replayed, truncated and forged packets from mypc are ignored and counted; nothing changes", async () => {
  const victim = NODES[1]!; // myk8s-worker
  const before = await Promise.all(members.map((m) => m.counters()));
  const from = wallNow();
  const inject = spawnIn(CLIENT.name, [
    process.execPath,
    INJECT_SCRIPT,
    CLIENT.ipv4,
    BROADCAST,
    "7946",
    victim.name,
  ]);
  expect(await inject.exited).toBe(0);
  const injected = JSON.parse(readFileSync(inject.record.stdoutFile, "utf8").trim()) as {
    sent: Record<string, number>;
  };
  expect(injected.sent).toEqual({ replayed: 5, truncated: 1, forged: 2 });
  await Bun.sleep(500);
  const after = await Promise.all(members.map((m) => m.counters()));
  const perMember = members.map((m, i) => ({ node: m.node.name, dropped: dropsOf(after[i]!, before[i]!) }));
  report("injected_packets", { injected: injected.sent, perMember });
  for (const [i, m] of members.entries()) {
    const drops = perMember[i]!.dropped;
    expect(drops.forged).toBe(2);
    expect(drops.truncated).toBe(1);
    if (m.node.name === victim.name) {
      // its own beat coming back is "self" before any replay check
      expect(after[i]!.dropped.self - before[i]!.dropped.self).toBeGreaterThanOrEqual(5);
      expect(drops.replayed).toBeUndefined();
    } else {
      expect(drops.replayed).toBe(5);
    }
    // nothing else was dropped, and no membership change happened (no intruder, no forged leave)
    expect(Object.keys(drops).sort()).toEqual(
      m.node.name === victim.name ? ["forged", "truncated"] : ["forged", "replayed", "truncated"],
    );
    expect(m.changes().filter((c) => c.t > from)).toEqual([]);
    expect(m.view()).toEqual(NODE_NAMES.slice().sort());
  }
}, 60_000);

test("a member without the key (in mypc) is refused by the keyed members, and refuses them", async () => {
  const from = wallNow();
  const before = await Promise.all(members.map((m) => m.counters()));
  extra = startMember(CLIENT, { MB_SECRET: "" });
  await extra.waitFor((e) => e.type === "members", 10_000, "warm-up");
  await Bun.sleep(1000);
  const after = await Promise.all(members.map((m) => m.counters()));
  const keyless = await extra.counters();
  report("keyless_member", {
    keylessSees: extra.view(),
    keylessDroppedUnverifiable: keyless.dropped.unverifiable,
    keyedDroppedUnauthenticated: after.map(
      (c, i) => c.dropped.unauthenticated - before[i]!.dropped.unauthenticated,
    ),
  });
  expect(extra.view()).toEqual([CLIENT.name]);
  expect(keyless.dropped.unverifiable).toBeGreaterThan(20);
  for (const [i, m] of members.entries()) {
    expect(after[i]!.dropped.unauthenticated - before[i]!.dropped.unauthenticated).toBeGreaterThan(5);
    expect(m.changes().filter((c) => c.t > from)).toEqual([]);
  }
  const warnings = readFileSync(`${extra.stdoutFile.replace(/\.out$/, ".err")}`, "utf8");
  expect(warnings).toContain("not authenticated");
  await extra.kill();
  extra = undefined;
}, 60_000);
