/**
 * What a speaker pod logs when its BFD session goes down: the line the BGP announcer writes before
 * it resets the session (Cease 6/10), with the RFC 5880 §4.1 diagnostic.
 */
import { kubectl } from "../cluster/cluster.ts";
import { runningSpeaker } from "../nodes/speaker-pods.ts";
import { waitFor } from "../peers/wait.ts";
import { NAMESPACE } from "./support.ts";

export interface BfdDownLine {
  /** When the speaker logged it (epoch ms). */
  readonly atMs: number;
  /** The BGPPeer's name. */
  readonly name: string;
  readonly diag: string;
}

const BFD_DOWN = "BFD session down: resetting the BGP session";

/** The first BFD-down line `node`'s speaker logged at or after `sinceMs` (epoch ms). */
export async function bfdDownLogged(node: string, sinceMs: number, timeoutMs = 15_000): Promise<BfdDownLine> {
  const speaker = await runningSpeaker(node);
  return waitFor(
    async () => {
      const r = await kubectl(["logs", "-n", NAMESPACE, speaker.pod, "--since=120s"]);
      for (const line of r.stdout.split("\n")) {
        if (!line.includes(BFD_DOWN)) continue;
        const logged = JSON.parse(line) as { time: number | string; diag: string; name: string };
        const atMs = typeof logged.time === "number" ? logged.time : Date.parse(logged.time);
        if (atMs >= sinceMs) return { atMs, name: logged.name, diag: logged.diag };
      }
      return undefined;
    },
    { what: `${node}'s speaker logging its BFD session down`, timeoutMs, intervalMs: 200 },
  );
}

/**
 * Every one of `nodes`' speakers' BFD-down line since `sinceMs`, each printed with its delay after
 * `what` (the failure the test caused), by node name.
 */
export async function everySpeakerBfdDown(
  nodes: readonly { readonly name: string }[],
  sinceMs: number,
  what: string,
): Promise<Map<string, BfdDownLine>> {
  const lines = new Map<string, BfdDownLine>();
  for (const node of nodes) {
    const logged = await bfdDownLogged(node.name, sinceMs);
    console.log(`${node.name}'s BFD down ${logged.atMs - sinceMs} ms after ${what}`);
    lines.set(node.name, logged);
  }
  return lines;
}
