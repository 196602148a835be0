/**
 * Graceful restart (RFC 4724) on real nodes against FRR, a helper by default: the speakers'
 * BGPPeer sets enableGracefulRestart, so a planned stop closes the session quietly and FRR keeps
 * the node's routes as stale until the next speaker pod sends them again. During `kubectl rollout
 * restart daemonset/speaker` the router's kernel route keeps every worker as a next hop and mypc's
 * requests every 10 ms through the router all succeed; and again with BFD on the sessions, where
 * each leaving speaker closes its BGP session quietly and only then says AdminDown: FRR 8.4's bfdd
 * reports a received AdminDown to bgpd as a failure, and bgpd's reset of a session still open
 * would end graceful restart (measured: a next hop left the route when AdminDown went first). The
 * speaker waits for FRR's FIN back before the AdminDown (a fixed pause would leave it to how
 * loaded the router is).
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { allWorkerHops, everyBfdUpAtFrr } from "../bench/bgp-sessions.ts";
import { probeWhile } from "../bench/probe-while.ts";
import { NODES, ROUTER, WORKERS } from "../net/topology.ts";
import { followSpeakerLogs } from "../nodes/follow-speaker-logs.ts";
import { startFrr } from "../peers/frr.ts";
import { waitFor } from "../peers/wait.ts";
import { createLbService } from "./services.ts";
import {
  aBfdProfile,
  aBgpAdvertisement,
  aBgpPeer,
  apply,
  type BgpTestbed,
  bgpTestbedDown,
  bgpTestbedUp,
  kernelNextHops,
  ok,
  routerSpec,
  servedThrough,
} from "./support.ts";

let bed: BgpTestbed | undefined;

/** The parts of FRR's `show bgp neighbors <ip> json` this file reads. */
interface FrrGrView {
  bgpState?: string;
  lastResetDueTo?: string;
  connectionsEstablished?: number;
  connectionsDropped?: number;
  neighborCapabilities?: { gracefulRestart?: string };
  gracefulRestartInfo?: { remoteGrMode?: string };
}
let vip = "";
/** What a speaker logs once FRR answered its quiet close (operator/src/announcers/bgp/session.ts). */
const QUIET_CLOSE = "closed quietly for graceful restart";

/** The bench's wait: every worker a next hop of the Service's route in the router's kernel. */
const everyHop = (timeoutMs = 30_000) => allWorkerHops(`${vip}/32`, timeoutMs);

beforeAll(async () => {
  bed = await bgpTestbedUp();
  await apply(
    aBgpPeer("router", { enableGracefulRestart: true, connectTime: "2s" }),
    aBgpAdvertisement("bgp-adv"),
  );
  [vip] = (await createLbService("svc")) as [string];
  await everyHop();
  await servedThrough(vip);
}, 900_000);

afterAll(() => bgpTestbedDown(bed), 120_000);

test("FRR sees graceful restart negotiated with every speaker, the speakers in Restart mode", async () => {
  for (const node of NODES) {
    const neighbor = await waitFor(
      async () => {
        const text = await bed!.frr.vtysh(`show bgp neighbors ${node.ipv4} json`);
        const parsed = JSON.parse(text) as Record<string, FrrGrView>;
        const view = parsed[node.ipv4];
        return view?.bgpState === "Established" ? view : undefined;
      },
      { what: `${node.name}'s session Established at FRR` },
    );
    expect({ node: node.name, capability: neighbor.neighborCapabilities?.gracefulRestart }).toEqual({
      node: node.name,
      capability: "advertisedAndReceived",
    });
    expect(neighbor.gracefulRestartInfo?.remoteGrMode).toBe("Restart");
  }
}, 60_000);

/** The JSON lines each speaker pod running now has logged, by pod. */
async function speakerLogs(): Promise<Map<string, Record<string, unknown>[]>> {
  const pods = (await ok(["get", "pods", "-n", "metallb-system", "-l", "component=speaker", "-o", "name"]))
    .split("\n")
    .filter((l) => l.startsWith("pod/"));
  const out = new Map<string, Record<string, unknown>[]>();
  for (const pod of pods) {
    const text = await ok(["logs", "-n", "metallb-system", pod]);
    const lines: Record<string, unknown>[] = [];
    for (const line of text.split("\n")) {
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // not one of ours
      }
    }
    out.set(pod.slice("pod/".length), lines);
  }
  return out;
}

/** `kubectl rollout restart daemonset/speaker` under probes, the router's next hops watched throughout. */
async function rollingRestart(label: string): Promise<void> {
  let watching = true;
  const shortest: number[] = [];
  const started = performance.now();
  const timeline: string[] = [];
  const watch = (async () => {
    let last = "";
    while (watching) {
      const hops = (await kernelNextHops(`${vip}/32`)).join(",");
      shortest.push(hops === "" ? 0 : hops.split(",").length);
      if (hops !== last) timeline.push(`${(performance.now() - started).toFixed(0)} ms: ${hops || "none"}`);
      last = hops;
      await Bun.sleep(20);
    }
  })();
  const leaving = await followSpeakerLogs();
  // A request fails when it errs or takes over 1.5 s (the two cores, busy starting speaker pods,
  // can delay a healthy answer past the benches' 200 ms); mypc's SYNs sent again are reported (the
  // SNAT/TIME_WAIT clash that cost one now and then: docs/testbed.md, "Probing through the nodes").
  // Next hops leaving the route are checked below.
  const result = await probeWhile(
    [vip],
    async () => {
      await ok(["rollout", "restart", "daemonset/speaker", "-n", "metallb-system"]);
      await ok(["rollout", "status", "daemonset/speaker", "-n", "metallb-system", "--timeout=300s"]);
      await everyHop();
    },
    { timeoutMs: 1500 },
  );
  watching = false;
  await watch;
  console.log(
    `rolling restart ${label}: ${result.lost} of ${result.sent} requests lost, ` +
      `${result.synsRetransmitted} SYNs and ${result.retransmitted} TCP segments sent again, ` +
      `the slowest answer after ${result.slowestMs} ms`,
  );
  console.log(`the router's next hops over time:\n${timeline.join("\n")}`);
  console.log(`lost at ms: ${JSON.stringify(result.lostAt ?? [])} ${JSON.stringify(result.why ?? [])}`);
  // Each leaving speaker closed its session quietly and waited for FRR's FIN back (its bgpd had
  // read the end of the session) before anything else, BFD's AdminDown included.
  await leaving.ended(30_000);
  const quietCloses = [...leaving.lines()].map(([pod, lines]) => ({
    pod,
    outcomes: lines.filter((l) => l.msg === QUIET_CLOSE).map((l) => `${l.outcome} after ${l.waitedMs} ms`),
  }));
  console.log(`quiet closes: ${JSON.stringify(quietCloses)}`);
  // Why FRR last reset each session, and the new speakers' own account of theirs: a next hop
  // that leaves the route despite graceful restart is a session that ended another way.
  for (const node of NODES) {
    const view = (
      JSON.parse(await bed!.frr.vtysh(`show bgp neighbors ${node.ipv4} json`)) as Record<string, FrrGrView>
    )[node.ipv4];
    console.log(
      `FRR on ${node.name}: ${view?.bgpState}, last reset: ${view?.lastResetDueTo}, ` +
        `established ${view?.connectionsEstablished}, dropped ${view?.connectionsDropped}`,
    );
  }
  for (const [pod, lines] of (await speakerLogs()).entries()) {
    const sessionLines = lines.filter((l) => /BGP session|BFD/.test(String(l.msg)));
    console.log(
      `${pod}: ${sessionLines
        .map((l) => {
          const detail = ["reason", "error", "from", "to", "diag", "remoteDiag"]
            .filter((k) => l[k] !== undefined)
            .map((k) => `${k}=${String(l[k])}`);
          return `${l.time} ${l.msg} ${detail.join(" ")}`;
        })
        .join("; ")}`,
    );
  }
  expect(quietCloses).toHaveLength(NODES.length);
  for (const { pod, outcomes } of quietCloses) {
    expect({ pod, outcomes: outcomes.map((o) => o.split(" ")[0]) }).toEqual({
      pod,
      outcomes: ["peerClosed"],
    });
  }
  expect(result.sent).toBeGreaterThan(500);
  expect(result.lost).toBe(0);
  expect(Math.min(...shortest)).toBe(WORKERS.length);
}

test("a rolling restart of the speakers: no next hop ever leaves the router's route, no request from mypc fails", async () => {
  await rollingRestart("with graceful restart");
}, 400_000);

test("graceful restart with BFD too: a leaving speaker closes its session before BFD's AdminDown, FRR keeps every next hop", async () => {
  // FRR again, its peer-group now registering every session with bfdd; the BGPPeer names a profile.
  await bed!.frr.stop();
  bed = {
    frr: await startFrr(
      ROUTER.name,
      routerSpec({ neighbors: routerSpec().neighbors.map((n) => ({ ...n, bfd: true })) }),
      {
        bfd: true,
      },
    ),
  };
  await apply(
    aBfdProfile("fast"),
    aBgpPeer("router", { enableGracefulRestart: true, connectTime: "2s", bfdProfile: "fast" }),
  );
  await everyBfdUpAtFrr(60_000);
  await everyHop(60_000);
  await servedThrough(vip);
  await rollingRestart("with graceful restart and BFD");
}, 500_000);
