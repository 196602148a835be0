/**
 * `--l2-non-revertive` (METALBUN_L2_NON_REVERTIVE=true) on the real testbed: the owner's speaker
 * dies, its IP moves; the speaker comes back and the IP stays where it moved (MetalLB, and our
 * default, would move it back: the seed lab's steps 8-9 prove that). The owner is read where a
 * client sees it: the MAC that answers mypc's ARP request.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { type RunningOperator, restartSpeaker, waitReady } from "../lab/operator.ts";
import { seededTestbedDown, seededTestbedUp } from "../lab/seeded-testbed.ts";
import { answerer, createService, untilAnswered, untilL2StatusNodes } from "./helpers.ts";

let op: RunningOperator | undefined;

beforeAll(async () => {
  op = await seededTestbedUp("info", { METALBUN_L2_NON_REVERTIVE: "true" });
}, 120_000);

afterAll(() => seededTestbedDown(op));

test("the IP stays on the successor when the failed owner returns; ServiceL2Status names the successor", async () => {
  const ip = await createService("sticky", "Cluster", ["myk8s-worker", "myk8s-worker2", "myk8s-worker3"]);
  const first = await untilAnswered(ip, (o) => o !== undefined);
  expect(first).toBeDefined();
  const owner = first!;

  await op!.speakers.get(owner)!.stop("SIGKILL", 0);
  const successor = await untilAnswered(ip, (o) => o !== undefined && o !== owner);
  expect(successor).toBeDefined();
  expect(successor).not.toBe(owner);

  await restartSpeaker(op!, owner);
  expect(await waitReady(owner)).toBe(true);
  // Long enough for a revertive speaker to have taken it back (the lab measures ~0.4 s).
  await Bun.sleep(3_000);
  expect(await answerer(ip)).toBe(successor);
  expect(await untilL2StatusNodes("sticky", successor!)).toBe(successor!);
}, 90_000);
