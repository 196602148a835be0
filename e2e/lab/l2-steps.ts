/**
 * Steps 5-9 of the seed lab: who announces each Service (Events), ARP from mypc, traffic through
 * the leader's DNAT, a hard kill of myk8s-worker with the takeover measured, and the failback.
 */

import { kubectl } from "../cluster/cluster.ts";
import { registerNodeReady } from "../cluster/nodes.ts";
import { execIn } from "../net/exec.ts";
import { run } from "../net/run.ts";
import { setServiceDnat } from "../net/testbed.ts";
import { CLIENT, memberByMac, NODES, nodeNamed } from "../net/topology.ts";
import { restartSpeaker } from "./operator.ts";
import type { LabContext, LabStep, StepOutcome } from "./steps.ts";

const SERVICES = ["svc1", "svc2", "svc3"] as const;
const VICTIM = "myk8s-worker";

async function out(args: string[]): Promise<string> {
  const r = await kubectl(args);
  if (r.exitCode !== 0) throw new Error(`kubectl ${args.join(" ")}: ${r.stderr.trim()}`);
  return r.stdout;
}

async function externalIP(svc: string): Promise<string> {
  return (
    await out(["get", "svc", svc, "-n", "default", "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}"])
  ).trim();
}

/** The node named by the newest `nodeAssigned` Event of a Service. */
async function announcer(svc: string): Promise<string | undefined> {
  const events = await out([
    "get",
    "events",
    "-n",
    "default",
    "--field-selector",
    `involvedObject.name=${svc},reason=nodeAssigned`,
    "--sort-by=.lastTimestamp",
    "-o",
    'jsonpath={range .items[*]}{.message}{"\\n"}{end}',
  ]);
  const last = events.trim().split("\n").at(-1) ?? "";
  return last.match(/announcing from node "([^"]+)" with protocol "layer2"/)?.[1];
}

/** The MAC that answers mypc's ARP request for `ip` (iputils arping prints it), or undefined. */
async function arpReply(ip: string, waitSeconds = 1): Promise<string | undefined> {
  const r = await execIn(CLIENT.name, ["arping", "-c", "1", "-w", String(waitSeconds), "-I", "eth0", ip]);
  return r.stdout.match(/reply from \S+ \[([0-9A-Fa-f:]{17})\]/)?.[1]?.toLowerCase();
}

/**
 * The MAC mypc has for an IP: arping asks (its reply alone does not enter the kernel's table,
 * arp_accept=0), then one ping makes the kernel resolve it as traffic would, so `ip neigh` shows it.
 */
async function macAtClient(ip: string): Promise<string | undefined> {
  const mac = await arpReply(ip);
  await execIn(CLIENT.name, ["ping", "-c", "1", "-W", "1", ip]);
  return mac;
}

async function poll<T>(read: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let v = await read();
  while (!ok(v) && Date.now() < deadline) {
    await Bun.sleep(100);
    v = await read();
  }
  return v;
}

async function owners(): Promise<Record<string, string | undefined>> {
  const entries = await Promise.all(SERVICES.map(async (s) => [s, await announcer(s)] as const));
  return Object.fromEntries(entries);
}

const events: LabStep = {
  n: 5,
  title: "kubectl describe svc | grep Events: -A5 shows which node announces each Service",
  async run() {
    const who = await poll(owners, (o) => SERVICES.every((s) => o[s] !== undefined), 15_000);
    const described = await out(["describe", "svc", "-n", "default", ...SERVICES]);
    const excerpt = described
      .split("\n")
      .flatMap((line, i, all) =>
        line.startsWith("Events:") ? all.slice(i, i + 6) : line.startsWith("Name:") ? [line] : [],
      )
      .join("\n");
    const ok = SERVICES.every((s) => who[s] !== undefined && who[s] !== "myk8s-control-plane");
    return {
      ok,
      summary: SERVICES.map((s) => `${s} from ${who[s] ?? "nobody"}`).join(", "),
      detail: `$ kubectl describe svc | grep Events: -A5\n${excerpt}`,
    };
  },
};

const arp: LabStep = {
  n: 6,
  title: "from mypc, arping each External IP; ip neigh shows each at its leader's MAC",
  async run() {
    const rows: string[] = [];
    let ok = true;
    for (const s of SERVICES) {
      const ip = await externalIP(s);
      const owner = await announcer(s);
      const mac = await macAtClient(ip);
      const node = mac ? memberByMac(mac)?.name : undefined;
      rows.push(`${s} ${ip} -> ${mac ?? "no reply"} (${node ?? "?"}), Events say ${owner}`);
      ok &&= node !== undefined && node === owner;
    }
    const neigh = await execIn(CLIENT.name, ["ip", "neigh"]);
    return {
      ok,
      summary: ok
        ? "every External IP resolves to the MAC of the node its Events name"
        : "mismatch (see detail)",
      detail: `${rows.join("\n")}\n\n$ ip netns exec mypc ip neigh | sort\n${neigh.stdout.split("\n").filter(Boolean).sort().join("\n")}`,
    };
  },
};

const traffic: LabStep = {
  n: 7,
  title: "traffic to an External IP enters the leader node and is DNATed to the web pod",
  async run() {
    const ips = await Promise.all(SERVICES.map(externalIP));
    // kube-proxy's part: every node DNATs every Service IP to its local "pod".
    for (const node of NODES) await setServiceDnat(node.name, ips);
    const rows: string[] = [];
    let ok = true;
    for (const [i, s] of SERVICES.entries()) {
      const r = await execIn(CLIENT.name, ["curl", "-s", "-m", "2", `http://${ips[i]}/`]);
      const owner = await announcer(s);
      rows.push(`curl http://${ips[i]}/ (${s}) -> ${r.stdout.trim() || `failed (exit ${r.exitCode})`}`);
      ok &&= r.stdout.trim() === owner;
    }
    return {
      ok,
      summary: ok ? "each curl was answered by the leader node's pod" : "a curl missed its leader",
      detail: rows.join("\n"),
    };
  },
};

/**
 * Watches mypc's neighbour entry for `ip` (every ~10 ms) until it names a MAC other than `oldMac`:
 * the new owner's gratuitous ARP updates the entry a client already has, which is what moves its
 * traffic. Returns ms since `since`, or undefined after `timeoutMs`.
 */
async function newMacAfterMs(
  ip: string,
  oldMac: string,
  since: number,
  timeoutMs: number,
): Promise<number | undefined> {
  while (performance.now() - since < timeoutMs) {
    const neigh = await run(["ip", "-n", CLIENT.name, "neigh", "show", ip, "dev", "eth0"]);
    const mac = neigh.stdout.match(/lladdr ([0-9a-f:]{17})/)?.[1];
    if (mac !== undefined && mac !== oldMac) return performance.now() - since;
    await Bun.sleep(10);
  }
  return undefined;
}

const failover: LabStep = {
  n: 8,
  title: `failover: kill ${VICTIM} hard (speaker SIGKILLed, link cut); its Services move`,
  async run(ctx: LabContext) {
    const before = await owners();
    const moving = SERVICES.filter((s) => before[s] === VICTIM);
    const victimMac = nodeNamed(VICTIM).mac;
    const ips = Object.fromEntries(
      await Promise.all(SERVICES.map(async (s) => [s, await externalIP(s)] as const)),
    );
    const started = performance.now();
    await ctx.operator?.speakers.get(VICTIM)?.stop("SIGKILL", 0);
    await execIn(VICTIM, ["ip", "link", "set", "eth0", "down"]);
    await registerNodeReady(VICTIM, false);
    const takeover = await Promise.all(moving.map((s) => newMacAfterMs(ips[s]!, victimMac, started, 10_000)));
    const after = await poll(
      owners,
      (o) => moving.every((s) => o[s] !== VICTIM && o[s] !== undefined),
      10_000,
    );
    const nodes = await out(["get", "nodes"]);
    const rows = moving.map(
      (s, i) =>
        `${s}: ${before[s]} -> ${after[s]} (a new MAC answered mypc after ${takeover[i]?.toFixed(0) ?? "never"} ms)`,
    );
    const ok =
      moving.length > 0 && takeover.every((t) => t !== undefined) && moving.every((s) => after[s] !== VICTIM);
    ctx.failoverMs = takeover.filter((t): t is number => t !== undefined);
    return {
      ok,
      summary: ok
        ? `${moving.join(", ")} moved off ${VICTIM}; takeover seen at mypc after ${takeover.map((t) => `${t!.toFixed(0)} ms`).join(", ")}`
        : `takeover incomplete: ${rows.join("; ")}`,
      detail: `${shownNodes(nodes)}\n${rows.join("\n")}`,
    };
  },
};

function shownNodes(nodes: string): string {
  return `$ kubectl get nodes\n${nodes.trimEnd()}\n`;
}

const failback: LabStep = {
  n: 9,
  title: `failback: start ${VICTIM} again; leadership returns to it`,
  async run(ctx: LabContext) {
    await execIn(VICTIM, ["ip", "link", "set", "eth0", "up"]);
    await registerNodeReady(VICTIM, true);
    if (ctx.operator) await restartSpeaker(ctx.operator, VICTIM);
    const back = await poll(owners, (o) => ["svc1", "svc2"].every((s) => o[s] === VICTIM), 20_000);
    const macs = await Promise.all(
      SERVICES.map(async (s) => `${s} -> ${(await macAtClient(await externalIP(s))) ?? "?"}`),
    );
    const history = await out([
      "get",
      "events",
      "-n",
      "default",
      "--field-selector",
      "reason=nodeAssigned",
      "--sort-by=.lastTimestamp",
    ]);
    const ok = back.svc1 === VICTIM && back.svc2 === VICTIM;
    return {
      ok,
      summary: ok ? `svc1 and svc2 are announced from ${VICTIM} again` : `not back: ${JSON.stringify(back)}`,
      detail: `${macs.join("\n")}\n\n$ kubectl get events --field-selector reason=nodeAssigned\n${history.trimEnd()}`,
    };
  },
};

export const l2Steps: readonly LabStep[] = [events, arp, traffic, failover, failback];
export type { StepOutcome };
