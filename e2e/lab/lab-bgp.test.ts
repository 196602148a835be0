/**
 * `bun run lab --bgp --ci` end to end: the BGP edition's steps run unattended, each prints one
 * line, the failover is within BFD's detection time (well under the 9 s hold), the run exits 0, and it
 * leaves no network namespace behind.
 */
import { expect, test } from "bun:test";
import { ourNamespaces, runLabCi } from "./run-lab-ci.ts";

test("bun run lab --bgp --ci runs the BGP edition's steps and cleans up", async () => {
  const { code, out, steps } = await runLabCi("--bgp");
  expect(code).toBe(0);
  // The step lines carry the measured figures (the hold-timer failover, the restore): keep them in the log.
  console.log(steps.join("\n"));
  expect(steps).toEqual([
    expect.stringMatching(
      /^step 1 ok: install metalbun with one command: 9 metallb\.io CRDs .*4\/4 speakers ready/,
    ),
    expect.stringMatching(/^step 2 ok: .*lists my-ippool$/),
    expect.stringMatching(/^step 3 ok: .*lists my-bgp-peer \(holdTime 9s\) and my-bgp-advertise$/),
    expect.stringMatching(/^step 4 ok: .*: 4\/4 nodes Established .*hold 9 s \/ keepalive 3 s$/),
    expect.stringMatching(
      /^step 5 ok: .*svc1=172\.18\.255\.200, svc2=172\.18\.255\.201, svc3=172\.18\.255\.202$/,
    ),
    expect.stringMatching(
      /^step 6 ok: .*announcing from node "myk8s-worker", "myk8s-worker2", "myk8s-worker3" with protocol "bgp"/,
    ),
    expect.stringMatching(
      /^step 7 ok: .*: next hops 172\.18\.0\.3, 172\.18\.0\.4, 172\.18\.0\.5 in show bgp ipv4 unicast, show ip route and the kernel$/,
    ),
    expect.stringMatching(/^step 8 ok: .*each IP entered through myk8s-worker, myk8s-worker2, myk8s-worker3/),
    expect.stringMatching(
      /^step 9 ok: .*next hop 172\.18\.0\.3 gone from the router after \d+ ms \(BFD 300 ms x 3, hold 9 s\)/,
    ),
    expect.stringMatching(
      /^step 10 ok: .*172\.18\.0\.3 back as a next hop of every IP \d+ ms after the restore$/,
    ),
  ]);
  // The router learned of the dead node from BFD: 3 x 300 ms of silence and its own work, far
  // under the 9 s hold time.
  const goneMs = Number(steps[8]?.match(/after (\d+) ms/)?.[1]);
  expect(goneMs).toBeGreaterThan(0);
  expect(goneMs).toBeLessThan(1_500);
  expect(out).toContain("lab ok");
  expect(ourNamespaces()).toEqual([]);
}, 600_000);
