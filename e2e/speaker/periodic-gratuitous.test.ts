/**
 * `METALBUN_L2_GRATUITOUS_INTERVAL` (`--l2-gratuitous-interval`) on the real testbed: the owner of
 * a Layer 2 IP keeps sending gratuitous ARP for it at that period, long after the takeover burst
 * (MetalLB's 1.1 s x 5 s) is over, with nobody asking. mypc's tcpdump is the witness.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { GARP_DURATION_MS } from "../../operator/src/announcers/l2/index.ts";
import { captureAtClient } from "../l2/probes.ts";
import type { RunningOperator } from "../lab/operator.ts";
import { seededTestbedDown, seededTestbedUp } from "../lab/seeded-testbed.ts";
import { CLIENT, nodeNamed } from "../net/topology.ts";
import { createService, untilAnswered } from "./helpers.ts";

const INTERVAL_MS = 2_000;
let op: RunningOperator | undefined;

beforeAll(async () => {
  op = await seededTestbedUp("info", { METALBUN_L2_GRATUITOUS_INTERVAL: `${INTERVAL_MS / 1000}s` });
}, 120_000);

afterAll(() => seededTestbedDown(op));

test("the owner sends a gratuitous ARP round for its IP every interval, nobody asking", async () => {
  const ip = await createService("chatty", "Cluster", ["myk8s-worker", "myk8s-worker2", "myk8s-worker3"]);
  const owner = await untilAnswered(ip, (o) => o !== undefined);
  expect(owner).toBeDefined();
  const mac = nodeNamed(owner!).mac;
  // The takeover burst is over: from here on only the periodic rounds announce the IP.
  await Bun.sleep(GARP_DURATION_MS + 1_500);

  const windowMs = 4 * INTERVAL_MS + 500;
  // Frames from the owner, none from mypc (it must not ask, or an answer could pass for a round).
  const lines = await captureAtClient(`arp and (ether src ${mac} or ether src ${CLIENT.mac})`, () =>
    Bun.sleep(windowMs),
  );
  const at = (line: string) => Number(line.split(" ")[0]) * 1000;
  const escaped = ip.replaceAll(".", "\\.");
  // A gratuitous request names the IP as both sender and target; the reply announces it.
  const requests = lines.filter((l) => new RegExp(`who-has ${escaped}\\b.* tell ${escaped}\\b`).test(l));
  const replies = lines.filter((l) => new RegExp(`Reply ${escaped} is-at ${mac}`, "i").test(l));
  expect(lines.filter((l) => l.includes(`tell ${CLIENT.ipv4}`))).toEqual([]);
  // 4 intervals fit in the window: 4 rounds, or 5 if one fell on each edge.
  expect(requests.length).toBeGreaterThanOrEqual(4);
  expect(requests.length).toBeLessThanOrEqual(5);
  expect(replies.length).toBe(requests.length);
  const gaps = requests.slice(1).map((l, i) => at(l) - at(requests[i]!));
  console.log(`periodic gratuitous ARP from ${owner}: gaps ${gaps.map(Math.round).join(", ")} ms`);
  for (const gap of gaps) {
    expect(gap).toBeGreaterThan(INTERVAL_MS - 300);
    expect(gap).toBeLessThan(INTERVAL_MS + 300);
  }
}, 60_000);
