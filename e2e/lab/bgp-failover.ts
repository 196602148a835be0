/**
 * Steps 9 and 10 of the BGP lab. A node killed hard (speaker SIGKILLed, link cut) cannot say
 * goodbye: the link goes first, so not even its kernel's FIN reaches the router. Without BFD the
 * router would learn of the loss only when the hold timer (9 s) expires (RFC 4271 §6.5); with the
 * lab's BFDProfile its BFD session misses three 300 ms packets and takes the BGP session, and the
 * node's next hop, down in under a second. Restored (link up, a new speaker pod as the DaemonSet would start), the node peers again
 * and its next hop returns.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { execIn } from "../net/exec.ts";
import { LOG_DIR } from "../net/procs.ts";
import { run } from "../net/run.ts";
import { CLIENT, nodeNamed, ROUTER } from "../net/topology.ts";
import { killNode, restartNode } from "../nodes/real-cluster.ts";
import { POOL_V4 } from "../peers/routing.ts";
import {
  BFD_INTERVAL_MS,
  BFD_MULTIPLIER,
  HOLD_S,
  kernelNextHops,
  neighbors,
  WORKER_IPS,
} from "./bgp-router.ts";
import { waitReady } from "./operator.ts";
import { kubectlOut, type LabContext, type LabStep, serviceIPs, shown } from "./steps.ts";

const VICTIM = nodeNamed("myk8s-worker");
const POLL_MS = 25;

/** ms since `since` until every prefix's kernel route at the router satisfies `done`, or undefined. */
async function untilRoutes(
  prefixes: readonly string[],
  done: (hops: string[]) => boolean,
  since: number,
  timeoutMs: number,
): Promise<number | undefined> {
  while (performance.now() - since < timeoutMs) {
    const all = await Promise.all(prefixes.map(kernelNextHops));
    if (all.every(done)) return performance.now() - since;
    await Bun.sleep(POLL_MS);
  }
  return undefined;
}

/** One request per ~100 ms from mypc while `running()`: how many failed (their flow hashed to the dead node). */
async function probeRequests(ip: string, running: () => boolean): Promise<{ sent: number; failed: number }> {
  let sent = 0;
  let failed = 0;
  while (running()) {
    const r = await execIn(CLIENT.name, ["curl", "-s", "-m", "1", `http://${ip}/`]);
    sent++;
    if (r.exitCode !== 0) failed++;
    await Bun.sleep(100);
  }
  return { sent, failed };
}

const BGPD_LOG = join(LOG_DIR, `${ROUTER.name}.frr.bgpd.out`);

function bgpdLog(): string {
  try {
    return readFileSync(BGPD_LOG, "utf8");
  } catch {
    return "";
  }
}

/** bgpd's log lines about `ip` written after the log was `fromLength` characters long (the router's own account). */
function routerLogAbout(ip: string, fromLength: number): string[] {
  return bgpdLog()
    .slice(fromLength)
    .split("\n")
    .filter((l) => l.includes(ip))
    .map((l) => l.replace(/^\S+ \S+ /, ""));
}

export const bgpFailover: LabStep = {
  n: 9,
  title: `failover: kill ${VICTIM.name} hard (link cut, every process of the node SIGKILLed); the router's BFD (${BFD_INTERVAL_MS} ms x ${BFD_MULTIPLIER}) drops its next hop in under a second, long before the ${HOLD_S} s hold timer`,
  async run(ctx: LabContext) {
    const ips = await serviceIPs();
    const prefixes = ips.map((ip) => `${ip}/32`);
    const logFrom = bgpdLog().length;
    const started = performance.now();
    let probing = true;
    const probe = probeRequests(ips[0]!, () => probing);
    await killNode(VICTIM);
    const goneMs = await untilRoutes(prefixes, (h) => !h.includes(VICTIM.ipv4), started, 20_000);
    probing = false;
    const probed = await probe;
    const state = (await neighbors()).get(VICTIM.ipv4)?.state ?? "gone (dynamic neighbour deleted)";
    const after = await Promise.all(prefixes.map(kernelNextHops));
    const remaining = WORKER_IPS.filter((ip) => ip !== VICTIM.ipv4).join();
    // BFD's detection time (3 x 300 ms of silence), plus bgpd's and zebra's work; a cut link sends
    // no FIN, so nothing else can tell the router this early.
    const ok =
      goneMs !== undefined &&
      goneMs < BFD_INTERVAL_MS * BFD_MULTIPLIER + 600 &&
      after.every((h) => h.join() === remaining);
    if (goneMs !== undefined) ctx.holdFailoverMs = goneMs;
    const kernel = await run(["ip", "-n", ROUTER.name, "route", "show", "root", POOL_V4]);
    const nodes = await kubectlOut(["get", "nodes"]);
    return {
      ok,
      summary:
        goneMs === undefined
          ? `${VICTIM.ipv4} still a next hop after 20 s`
          : `${VICTIM.name}'s next hop ${VICTIM.ipv4} gone from the router after ${goneMs.toFixed(0)} ms (BFD ${BFD_INTERVAL_MS} ms x ${BFD_MULTIPLIER}, hold ${HOLD_S} s); ${probed.failed}/${probed.sent} requests from mypc failed meanwhile`,
      detail: [
        shown("kubectl get nodes", nodes),
        `router's neighbour ${VICTIM.ipv4}: ${state}`,
        shown(
          `grep ${VICTIM.ipv4} ${ROUTER.name}.frr.bgpd.out`,
          routerLogAbout(VICTIM.ipv4, logFrom).join("\n"),
        ),
        shown(`ip -n ${ROUTER.name} route show root ${POOL_V4}`, kernel.stdout),
      ].join("\n\n"),
    };
  },
};

export const bgpFailback: LabStep = {
  n: 10,
  title: `restore ${VICTIM.name} (the node starts again, its kubelet restarts the speaker pod): it peers again and its next hop is back`,
  async run() {
    const prefixes = (await serviceIPs()).map((ip) => `${ip}/32`);
    const started = performance.now();
    await restartNode(VICTIM);
    const ready = await waitReady(VICTIM.name, undefined, 60_000);
    const backMs = await untilRoutes(prefixes, (h) => h.join() === WORKER_IPS.join(), started, 30_000);
    const state = (await neighbors()).get(VICTIM.ipv4)?.state ?? "absent";
    const kernel = await run(["ip", "-n", ROUTER.name, "route", "show", "root", POOL_V4]);
    const ok = ready && backMs !== undefined && state === "Established";
    return {
      ok,
      summary: ok
        ? `${VICTIM.name} Established again; ${VICTIM.ipv4} back as a next hop of every IP ${backMs!.toFixed(0)} ms after the restore`
        : `not back: speaker ${ready ? "ready" : "NOT ready"}, neighbour ${state}, next hops ${backMs === undefined ? "incomplete" : "complete"}`,
      detail: [
        `router's neighbour ${VICTIM.ipv4}: ${state}`,
        shown(`ip -n ${ROUTER.name} route show root ${POOL_V4}`, kernel.stdout),
      ].join("\n\n"),
    };
  },
};
