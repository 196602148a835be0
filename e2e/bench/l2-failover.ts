/**
 * Layer 2 failover as mypc sees it, whoever's speakers answer (ours in `bench l2`, MetalLB's beside
 * ours in `bench peers failover`): the node owning an IP loses its speaker (SIGKILL) and its link;
 * the time until mypc's neighbour entry for the IP names another node (that node's gratuitous ARP
 * or NA, taken in by mypc's arp_accept) and a curl through it answers. Then the link comes back
 * with a new speaker, the IP fails back (both are revertive) and the next trial starts.
 */
import { type RunningOperator, restartSpeaker, waitReady } from "../lab/operator.ts";
import { execIn } from "../net/exec.ts";
import { run } from "../net/run.ts";
import { CLIENT, memberByMac, NODES } from "../net/topology.ts";
import { until } from "./report.ts";

/** How a bench stops and starts one node's speaker. */
export interface SpeakerControl {
  /** Ends the node's speaker at once (SIGKILL): nothing said to its peers. */
  kill(node: string): Promise<void>;
  /** Starts a new speaker on the node; resolves once it serves (ready, or its process is up). */
  start(node: string): Promise<void>;
}

/** Our speakers "as pods" (e2e/lab/operator.ts): killed by PID, started again as the DaemonSet would. */
export function ourSpeakers(op: RunningOperator): SpeakerControl {
  return {
    async kill(node) {
      await op.speakers.get(node)?.stop("SIGKILL", 0);
    },
    async start(node) {
      await restartSpeaker(op, node, "warn");
      await waitReady(node);
    },
  };
}

export interface FailoverOptions {
  /** How long the IP may take to move; past it the trial fails. Default 10 s. */
  readonly moveTimeoutMs?: number;
  /** How long the IP may take to come back to the restarted node. Default 15 s. */
  readonly failBackTimeoutMs?: number;
}

export async function neighMac(ip: string): Promise<string | undefined> {
  const r = await run(["ip", "-n", CLIENT.name, "neigh", "show", ip, "dev", "eth0"]);
  return r.stdout.match(/lladdr ([0-9a-f:]{17})/)?.[1];
}

export const urlOf = (ip: string) => (ip.includes(":") ? `http://[${ip}]/` : `http://${ip}/`);

/** The node whose MAC mypc resolves the IP to, after one ping. */
export async function owner(ip: string): Promise<string | undefined> {
  await execIn(CLIENT.name, ["ping", "-c", "1", "-W", "1", ip]);
  const mac = await neighMac(ip);
  return mac ? memberByMac(mac)?.name : undefined;
}

/** `trials` failovers, the IPs taken in turn; each sample in ms. */
export async function failoverTrials(
  speakers: SpeakerControl,
  ips: readonly string[],
  trials: number,
  options: FailoverOptions = {},
): Promise<number[]> {
  const samples: number[] = [];
  for (let t = 0; t < trials; t++) {
    const ip = ips[t % ips.length]!;
    const victim = await owner(ip);
    if (victim === undefined) throw new Error(`no owner for ${ip}`);
    const victimMac = NODES.find((n) => n.name === victim)!.mac;
    const started = performance.now();
    await speakers.kill(victim);
    await execIn(victim, ["ip", "link", "set", "eth0", "down"]);
    const moved = await until(
      () => neighMac(ip),
      (m) => m !== undefined && m !== victimMac,
      options.moveTimeoutMs ?? 10_000,
    );
    const ms = performance.now() - started;
    const reply = await execIn(CLIENT.name, ["curl", "-s", "-m", "2", urlOf(ip)]);
    if (moved === victimMac || reply.stdout.trim() === "" || reply.stdout.trim() === victim) {
      throw new Error(
        `trial ${t}: ${ip} did not move off ${victim} (neigh ${moved}, curl "${reply.stdout.trim()}")`,
      );
    }
    samples.push(ms);
    await execIn(victim, ["ip", "link", "set", "eth0", "up"]);
    await speakers.start(victim);
    await until(
      () => owner(ip),
      (o) => o === victim,
      options.failBackTimeoutMs ?? 15_000,
      100,
    );
  }
  return samples;
}
