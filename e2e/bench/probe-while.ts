/**
 * mypc's prober (l2-prober.ts: a fresh HTTP request every 10 ms, lost when it fails or takes too
 * long) around a piece of work: one second of probing before it, one after. It also counts the SYNs
 * mypc's kernel sent again meanwhile: a SYN (or its SYN-ACK) the network dropped is sent again after
 * 1 s (RFC 6298's initial RTO), so with a timeout above a second a lost packet of a new connection
 * shows even when its request then succeeded. All segments sent again are counted too, for the
 * record only: tail-loss probes and early retransmits also fire when an ACK is just late.
 */
import { join } from "node:path";
import { execIn, inNamespace } from "../net/exec.ts";
import { CLIENT } from "../net/topology.ts";

const PROBER = join(import.meta.dir, "l2-prober.ts");

export interface ProbeResult {
  readonly sent: number;
  readonly lost: number;
  readonly lostAt?: number[];
  /** The error of each lost request (a timeout, a refused connection). */
  readonly why?: string[];
  /** The longest a request that succeeded took. */
  readonly slowestMs?: number;
  /** SYNs mypc sent again during the probing (TCPSynRetrans). */
  readonly synsRetransmitted: number;
  /** Every TCP segment mypc sent again during the probing (TcpRetransSegs), SYNs included. */
  readonly retransmitted: number;
}

export interface ProbeOptions {
  /** How long a request may take before it counts as lost (the prober's default: 200 ms). */
  readonly timeoutMs?: number;
}

export async function probeWhile(
  ips: readonly string[],
  work: () => Promise<void>,
  options: ProbeOptions = {},
): Promise<ProbeResult> {
  const before = await retransmissions();
  const prober = Bun.spawn(inNamespace(CLIENT.name, ["bun", PROBER, "600000", ...ips]), {
    stdout: "pipe",
    stderr: "inherit",
    env: {
      ...process.env,
      ...(options.timeoutMs === undefined ? {} : { PROBE_TIMEOUT_MS: String(options.timeoutMs) }),
    },
  });
  await Bun.sleep(1000);
  try {
    await work();
    await Bun.sleep(1000);
  } finally {
    prober.kill("SIGINT");
  }
  const out = await new Response(prober.stdout).text();
  const result = JSON.parse(out.trim().split("\n").at(-1) ?? "{}") as ProbeResult;
  const after = await retransmissions();
  return {
    ...result,
    synsRetransmitted: after.syns - before.syns,
    retransmitted: after.segments - before.segments,
  };
}

/** mypc's TcpRetransSegs (RFC 4022) and TcpExtTCPSynRetrans, read without touching nstat's history. */
async function retransmissions(): Promise<{ segments: number; syns: number }> {
  const r = await execIn(CLIENT.name, ["nstat", "-asz", "--json", "TcpRetransSegs", "TcpExtTCPSynRetrans"]);
  if (r.exitCode !== 0) throw new Error(`nstat in ${CLIENT.name}: ${r.stderr.trim()}`);
  const counters = (JSON.parse(r.stdout) as { kernel?: Record<string, number> }).kernel ?? {};
  const segments = counters.TcpRetransSegs;
  const syns = counters.TcpExtTCPSynRetrans;
  if (segments === undefined || syns === undefined) {
    throw new Error(`nstat in ${CLIENT.name} printed no retransmission counters: ${r.stdout}`);
  }
  return { segments, syns };
}
