/**
 * The "pod" behind every Service of the seed lab: answers any HTTP request with the node's name,
 * so a `curl` from mypc shows which node the traffic entered.
 *
 * Usage (inside a node namespace): bun e2e/net/webserver.ts <node-name> [port]
 * Listens on [::] so both the node's IPv4 and IPv6 addresses are served.
 */
const name = process.argv[2];
const port = Number(process.argv[3] ?? 8080);
if (!name) {
  console.error("usage: bun e2e/net/webserver.ts <node-name> [port]");
  process.exit(2);
}

const server = Bun.serve({
  hostname: "::",
  port,
  fetch: () => new Response(`${name}\n`, { headers: { "content-type": "text/plain", "x-node": name } }),
});
console.log(`web server of ${name} listening on [::]:${server.port}`);

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  process.on(signal, () => {
    server.stop(true);
    process.exit(0);
  });
}
