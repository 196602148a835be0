/**
 * Runs inside `mypc`: every 10 ms, a fresh HTTP/1.1 request (a new TCP connection) to each given IP,
 * 200 ms to answer (PROBE_TIMEOUT_MS sets another bound). Prints
 * `{"sent","lost","lostAt":[ms...],"why":[...],"slowestMs"}` at the end (why: the error of each lost
 * request, e.g. a timeout or a refused connection; slowestMs: the longest a request that succeeded
 * took). A lost request is one a client would have seen fail. SIGINT ends the probing early (the
 * result is printed as usual).
 *   ip netns exec mypc bun e2e/bench/l2-prober.ts <durationMs> <ip>...
 *
 * The prober, not the server, closes each connection once the answer is complete, so the TIME_WAIT
 * stays in mypc. With `Connection: close` the web pod closed first and kept it: a node's SNAT may
 * hand the same node port to a new connection while the pod still holds the old one in TIME_WAIT,
 * and the pod then answers the new SYN with an ACK of the old connection (RFC 7323 PAWS rejects its
 * timestamp) instead of a SYN-ACK, which cost a request now and then (docs/testbed.md).
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

/** Whether `text` holds a whole HTTP/1.1 answer: its status, or undefined while more is to come. */
function completeAnswer(text: string): number | undefined {
  const headerEnd = text.indexOf("\r\n\r\n");
  if (headerEnd < 0) return undefined;
  const head = text.slice(0, headerEnd);
  const status = Number(head.match(/^HTTP\/1\.[01] (\d{3})/)?.[1] ?? 0);
  const body = text.slice(headerEnd + 4);
  const length = head.match(/\r\ncontent-length:\s*(\d+)/i)?.[1];
  if (length !== undefined) return Buffer.byteLength(body) >= Number(length) ? status : undefined;
  if (/\r\ntransfer-encoding:\s*chunked/i.test(head)) return body.endsWith("0\r\n\r\n") ? status : undefined;
  return status;
}

function once(ip: string): Promise<void> {
  const at = performance.now() - started;
  sent++;
  const host = ip.includes(":") ? `[${ip}]` : ip;
  return new Promise<void>((resolve) => {
    let settled = false;
    let socket: { end(): void; terminate(): void } | undefined;
    let received = "";
    const finish = (error?: string) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error === undefined) {
        slowestMs = Math.max(slowestMs, performance.now() - started - at);
        socket?.end();
      } else {
        lost++;
        lostAt.push(Math.round(at));
        why.push(`${ip} ${error}`.slice(0, 120));
        socket?.terminate();
      }
      resolve();
    };
    const timer = setTimeout(
      () => finish(`TimeoutError: no whole answer within ${TIMEOUT_MS} ms`),
      TIMEOUT_MS,
    );
    Bun.connect({
      hostname: ip,
      port: 80,
      socket: {
        open(s) {
          socket = s;
          s.write(`GET / HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: metalbun-prober\r\n\r\n`);
        },
        data(_s, chunk) {
          received += chunk.toString("latin1");
          const status = completeAnswer(received);
          if (status === undefined) return;
          finish(status >= 200 && status < 300 ? undefined : `HTTP ${status}`);
        },
        close() {
          finish("closed before a whole answer");
        },
        error(_s, error) {
          finish(`${error.name}: ${error.message}`);
        },
        connectError(_s, error) {
          finish(`${error.name}: ${error.message}`);
        },
      },
    }).then(
      (s) => {
        socket = s;
        if (settled) s.terminate();
      },
      (error: Error) => finish(`${error.name}: ${error.message}`),
    );
  });
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
