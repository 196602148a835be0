/**
 * The TTL (IPv4) or hop limit (IPv6) of the BGP SYNs a router receives, read with tcpdump inside
 * its namespace: the proof that a session dials single-hop eBGP with TTL 1 and multi-hop with 255
 * (RFC 4271 leaves it to the implementation; MetalLB and FRR both do this).
 */
import { inNamespace } from "../net/exec.ts";

/** Source address -> every TTL seen on its SYNs to port 179 (sorted, unique). */
export function parseSynTtls(tcpdumpVerbose: string): Map<string, number[]> {
  const seen = new Map<string, Set<number>>();
  const add = (source: string, ttl: number) => {
    const set = seen.get(source) ?? new Set<number>();
    set.add(ttl);
    seen.set(source, set);
  };
  // `tcpdump -v` prints an IPv4 packet's header, then on the next line its addresses and flags.
  const v4 = /IP \([^\n]*?\bttl (\d+),[^\n]*\s+(\d+\.\d+\.\d+\.\d+)\.\d+ > [\d.]+\.179: Flags \[S\]/g;
  const v6 = /IP6 \([^\n]*?\bhlim (\d+),[^\n]*?\)\s+([0-9a-f:]+)\.\d+ > [0-9a-f:]+\.179: Flags \[S\]/g;
  for (const re of [v4, v6]) {
    for (const m of tcpdumpVerbose.matchAll(re)) add(m[2] as string, Number(m[1]));
  }
  return new Map([...seen].map(([k, v]) => [k, [...v].sort((a, b) => a - b)]));
}

/**
 * Captures SYNs to port 179 on `ifname` in `ns` while `during` runs (the capture starts a second
 * before it and ends a second after it, or after `maxS` seconds in all), and returns their TTLs by
 * source.
 */
export async function synTtlsDuring(
  ns: string,
  ifname: string,
  maxS: number,
  during: () => Promise<void>,
): Promise<Map<string, number[]>> {
  const capture = Bun.spawn(
    inNamespace(ns, [
      "timeout",
      String(maxS),
      "tcpdump",
      "-l",
      "-n",
      "-v",
      "-i",
      ifname,
      "tcp dst port 179 and (ip6 or tcp[tcpflags] & tcp-syn != 0)",
    ]),
    { stdout: "pipe", stderr: "ignore" },
  );
  try {
    await Bun.sleep(1_000);
    await during();
    await Bun.sleep(1_000);
  } finally {
    // SIGTERM: tcpdump flushes what it captured and exits.
    capture.kill("SIGTERM");
  }
  const text = await new Response(capture.stdout).text();
  await capture.exited;
  return parseSynTtls(text);
}
