/**
 * Runs inside `mypc`: every 10 ms, a fresh HTTP request (new connection, `Connection: close`) to each
 * given IP, 200 ms to answer (PROBE_TIMEOUT_MS sets another bound). Prints
 * `{"sent","lost","lostAt":[ms...],"why":[...],"slowestMs"}` at the end (why: the error of each lost
 * request, e.g. a timeout or a refused connection; slowestMs: the longest a request that succeeded took). A lost request is one a client would have seen fail. SIGINT ends the probing early (the result is printed as usual).
 *   ip netns exec mypc bun e2e/bench/l2-prober.ts <durationMs> <ip>...
 */
const [durationArg, ...ips] = process.argv.slice(2);
const durationMs = Number(durationArg);
const TIMEOUT_MS = Number(process.env.PROBE_TIMEOUT_MS ?? 200);
const started = performance.now();
let sent = 0;
let lost = 0;
const lostAt: number[] = [];
const why: string[] = [];
let slowestMs = 0;
const inFlight: Promise<void>[] = [];

async function once(ip: string): Promise<void> {
  const at = performance.now() - started;
  sent++;
  try {
    const res = await fetch(`http://${ip}/`, {
      headers: { connection: "close" },
      keepalive: false,
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    await res.text();
    if (!res.ok) throw new Error(String(res.status));
    slowestMs = Math.max(slowestMs, performance.now() - started - at);
  } catch (error) {
    lost++;
    lostAt.push(Math.round(at));
    why.push(`${ip} ${(error as Error).name}: ${(error as Error).message}`.slice(0, 120));
  }
}

let stopped = false;
process.on("SIGINT", () => {
  stopped = true;
});

while (!stopped && performance.now() - started < durationMs) {
  for (const ip of ips) inFlight.push(once(ip));
  await Bun.sleep(10);
}
await Promise.all(inFlight);
console.log(JSON.stringify({ sent, lost, lostAt, why, slowestMs: Math.round(slowestMs) }));

export {};
