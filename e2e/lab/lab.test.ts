/**
 * `bun run lab --ci` end to end: the seed's steps run unattended, each prints one line, the run
 * exits 0, and it leaves no network namespace behind.
 */
import { expect, test } from "bun:test";
import { ourNamespaces, runLabCi } from "./run-lab-ci.ts";

test("bun run lab --ci runs the seed's steps and cleans up", async () => {
  const { code, out, steps } = await runLabCi();
  expect(code).toBe(0);
  expect(steps).toEqual([
    expect.stringMatching(
      /^step 1 ok: install metalbun with one command: 9 metallb\.io CRDs .*4\/4 speakers ready/,
    ),
    expect.stringMatching(/^step 2 ok: .*lists my-ippool$/),
    expect.stringMatching(/^step 3 ok: .*lists my-l2-advertise$/),
    expect.stringMatching(
      /^step 4 ok: .*svc1=172\.18\.255\.200, svc2=172\.18\.255\.201, svc3=172\.18\.255\.202$/,
    ),
    // The seed note's owners: svc1 and svc2 from myk8s-worker, svc3 from myk8s-worker3.
    expect.stringMatching(
      /^step 5 ok: .*svc1 from myk8s-worker, svc2 from myk8s-worker, svc3 from myk8s-worker3$/,
    ),
    expect.stringMatching(/^step 6 ok: /),
    expect.stringMatching(/^step 7 ok: /),
    expect.stringMatching(
      /^step 8 ok: .*: svc1, svc2 moved off myk8s-worker; takeover seen at mypc after \d+ ms, \d+ ms; myk8s-worker NotReady$/,
    ),
    expect.stringMatching(/^step 9 ok: .*: svc1 and svc2 are announced from myk8s-worker again$/),
  ]);
  expect(out).toContain("lab ok");
  expect(ourNamespaces()).toEqual([]);
}, 600_000);
