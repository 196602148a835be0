/**
 * `bun e2e/bench/l2-reply-latency.ts [probes]`: ARP and NDP reply latency of one L2 announcer
 * (myk8s-worker, eth0) as mypc sees it, plus how long the announcer takes to stop and exit.
 * One JSON line per metric ({"bench","metric","value","unit","n"}). Brings the testbed network up
 * and down itself (no cluster needed).
 */
import { replyLatencies, startAnnouncer, summary, VIP4, VIP6 } from "../l2/probes.ts";
import { netDown, netDownOnSignals, netUp } from "../net/testbed.ts";
import { emit } from "./report.ts";

export async function l2ReplyLatencyBench(probes = 200): Promise<void> {
  netDownOnSignals();
  await netUp();
  try {
    const announcer = await startAnnouncer("myk8s-worker", { ips: [VIP4, VIP6] });
    await Bun.sleep(5500); // past the takeover burst
    const r = await replyLatencies(probes);
    for (const [name, values] of [
      ["arp_reply_arping_rtt_ms", r.arpingRttMs],
      ["arp_reply_wire_ms", r.arpOnWireMs],
      ["na_reply_wire_ms", r.naOnWireMs],
    ] as const) {
      const s = summary(values);
      emit("l2", `${name}_p50`, s.p50, "ms", s.n);
      emit("l2", `${name}_p99`, s.p99, "ms", s.n);
      emit("l2", `${name}_max`, s.max, "ms", s.n);
    }
    emit("l2", "arp_unanswered", probes - r.arpingRttMs.length, "probes", probes);
    emit("l2", "ndp_unanswered", probes - r.ndisc6Answered, "probes", probes);
    const stopped = await announcer.stop();
    emit("l2", "stop_ms", Math.round(stopped.stopped.stopMs), "ms", 1);
    emit("l2", "sigterm_to_exit_ms", Math.round(stopped.exitMs), "ms", 1);
  } finally {
    await netDown();
  }
}

if (import.meta.main) await l2ReplyLatencyBench(Number(process.argv[2] ?? 200));
