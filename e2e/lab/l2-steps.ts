/**
 * Steps 5-9 of the seed lab: who announces each Service (Events), ARP from mypc, traffic through
 * the leader node and kube-proxy to a webpod pod, a hard kill of the node myk8s-worker with the
 * takeover measured, and the failback when the node starts again.
 */

import { kubectl } from "../cluster/cluster.ts";
import { execIn } from "../net/exec.ts";
import { run } from "../net/run.ts";
import { CLIENT, memberByMac, nodeNamed } from "../net/topology.ts";
import { NODE_MONITOR_GRACE_PERIOD } from "../nodes/control-plane.ts";
import { allPodCidrs } from "../nodes/pod-routes.ts";
import { killNode, restartNode } from "../nodes/real-cluster.ts";
import { kubectlMetalbunExplain } from "./explain-cli.ts";
import { kubectlOut, type LabContext, type LabStep, type StepOutcome, shown } from "./steps.ts";
import { nodeOfSource, parseWebpodAnswer } from "./webpod-answer.ts";

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
  title: "traffic to an External IP enters the leader node and is DNATed by kube-proxy to a webpod pod",
  async run() {
    const cidrs = await allPodCidrs();
    const podNodes = await webpodNodes();
    const rows: string[] = [];
    let ok = true;
    for (const s of SERVICES) {
      const ip = await externalIP(s);
      const owner = await announcer(s);
      const r = await execIn(CLIENT.name, ["curl", "-s", "-m", "2", `http://${ip}/`]);
      const answer = parseWebpodAnswer(r.stdout);
      const entered = answer ? nodeOfSource(answer.remoteIp, cidrs) : undefined;
      const pod = answer?.hostname;
      rows.push(
        answer
          ? `curl http://${ip}/ (${s}): entered ${entered ?? `? (${answer.remoteIp})`}, answered by ${pod} on ${podNodes.get(pod!) ?? "?"}`
          : `curl http://${ip}/ (${s}): failed (exit ${r.exitCode})`,
      );
      ok &&= answer !== undefined && podNodes.has(answer.hostname) && entered === owner;
    }
    const first = await execIn(CLIENT.name, ["curl", "-s", "-m", "2", `http://${await externalIP("svc1")}/`]);
    return {
      ok,
      summary: ok
        ? "each curl entered through its leader node and a webpod pod answered (kube-proxy's DNAT)"
        : "a curl failed or entered elsewhere (see detail)",
      detail: `${rows.join("\n")}\n\n$ ip netns exec mypc curl -s http://<svc1>/\n${first.stdout.trimEnd()}`,
    };
  },
};

/** Pod name -> node name of the webpod pods. */
async function webpodNodes(): Promise<Map<string, string>> {
  const out = await kubectlOut([
    "get",
    "pods",
    "-l",
    "app=webpod",
    "-o",
    'jsonpath={range .items[*]}{.metadata.name}{" "}{.spec.nodeName}{"\\n"}{end}',
  ]);
  return new Map(
    out
      .split("\n")
      .filter(Boolean)
      .map((l) => l.split(" ") as [string, string]),
  );
}

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
  title: `failover: kill ${VICTIM} hard (every process of the node SIGKILLed, its link cut); its Services move; kubectl metalbun explain says so`,
  async run(ctx: LabContext) {
    const before = await owners();
    const moving = SERVICES.filter((s) => before[s] === VICTIM);
    const victimMac = nodeNamed(VICTIM).mac;
    const ips = Object.fromEntries(
      await Promise.all(SERVICES.map(async (s) => [s, await externalIP(s)] as const)),
    );
    // What a user would ask before and after: `kubectl metalbun explain svc/svc1`.
    const explainedBefore = await kubectlMetalbunExplain(["svc/svc1"]);
    const started = performance.now();
    await killNode(nodeNamed(VICTIM));
    const takeover = await Promise.all(moving.map((s) => newMacAfterMs(ips[s]!, victimMac, started, 10_000)));
    const after = await poll(
      owners,
      (o) => moving.every((s) => o[s] !== VICTIM && o[s] !== undefined),
      10_000,
    );
    // The node controller marks it NotReady once its kubelet has been silent for the grace period.
    const notReady = await poll(
      () => out(["get", "node", VICTIM, "-o", 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']),
      (status) => status.trim() !== "True",
      Number.parseInt(NODE_MONITOR_GRACE_PERIOD, 10) * 1000 + 15_000,
    );
    // The speakers' view moves with the takeover: explain says svc1 is announced as decided from
    // its new node, and names the killed node's speaker as no longer running.
    const explainedAfter = await poll(
      () => kubectlMetalbunExplain(["svc/svc1"]),
      (a) => a.exitCode === 0 && !a.firstLine.includes(VICTIM) && victimRow(a.stdout) !== undefined,
      15_000,
    );
    const explainOk =
      explainedBefore.exitCode === 0 &&
      explainedBefore.firstLine.includes(`from ${VICTIM}`) &&
      explainedAfter.exitCode === 0 &&
      after.svc1 !== undefined &&
      explainedAfter.firstLine.includes(`from ${after.svc1}`) &&
      victimRow(explainedAfter.stdout) !== undefined;
    const nodes = await out(["get", "nodes"]);
    const rows = moving.map(
      (s, i) =>
        `${s}: ${before[s]} -> ${after[s]} (a new MAC answered mypc after ${takeover[i]?.toFixed(0) ?? "never"} ms)`,
    );
    const ok =
      moving.length > 0 &&
      takeover.every((t) => t !== undefined) &&
      moving.every((s) => after[s] !== VICTIM) &&
      notReady.trim() !== "True" &&
      explainOk;
    ctx.failoverMs = takeover.filter((t): t is number => t !== undefined);
    return {
      ok,
      summary: ok
        ? `${moving.join(", ")} moved off ${VICTIM}; takeover seen at mypc after ${takeover.map((t) => `${t!.toFixed(0)} ms`).join(", ")}; ${VICTIM} NotReady`
        : `takeover incomplete: ${rows.join("; ")}; ${VICTIM} Ready=${notReady.trim()}; explain before: ${explainedBefore.firstLine}; after: ${explainedAfter.firstLine}`,
      detail: [
        shown("kubectl metalbun explain svc/svc1   # before the kill", explainedBefore.stdout),
        shownNodes(nodes),
        rows.join("\n"),
        shown("kubectl metalbun explain svc/svc1   # after the takeover", explainedAfter.stdout),
      ].join("\n"),
    };
  },
};

/** The killed node's row in explain's node table when it says its speaker is gone. */
function victimRow(stdout: string): string | undefined {
  return stdout
    .split("\n")
    .find((line) => line.startsWith(`${VICTIM} `) && !/\brunning\b/.test(line.split(/\s+/)[1] ?? ""));
}

function shownNodes(nodes: string): string {
  return `$ kubectl get nodes\n${nodes.trimEnd()}\n`;
}

const failback: LabStep = {
  n: 9,
  title: `failback: start ${VICTIM} again (its kubelet restarts its speaker pod); leadership returns to it`,
  async run() {
    await restartNode(nodeNamed(VICTIM));
    const back = await poll(owners, (o) => ["svc1", "svc2"].every((s) => o[s] === VICTIM), 60_000);
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
