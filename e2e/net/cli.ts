/**
 * bun e2e/net/cli.ts up [--cluster | --apiserver-socket PATH] [--multicast-snooping]
 * bun e2e/net/cli.ts down [--force] [--keep-logs]
 * bun e2e/net/cli.ts status
 *
 * `up --cluster` starts (or reuses) the testbed cluster and forwards 10.96.0.1:443 in the node
 * namespaces and mypc to it; plain `up` brings up the network alone.
 */
import { existsSync } from "node:fs";
import { netDown, netStatus, netUp } from "./testbed.ts";
import { APISERVER_REACHABLE_FROM, APISERVER_SERVICE_IP, MEMBERS } from "./topology.ts";

function flagValue(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  switch (command) {
    case "up": {
      let socket = flagValue(rest, "--apiserver-socket");
      if (rest.includes("--cluster")) {
        const { ensureCluster } = await import("../cluster/harness.ts");
        socket = (await ensureCluster()).apiserverUnixSocket;
      }
      if (socket !== undefined && !existsSync(socket)) {
        console.error(`no such socket: ${socket}`);
        return 1;
      }
      await netUp({ apiserverUnixSocket: socket, multicastSnooping: rest.includes("--multicast-snooping") });
      console.log("net: up");
      for (const m of MEMBERS)
        console.log(`  ${m.name.padEnd(20)} ${m.ipv4.padEnd(14)} ${m.ipv6.padEnd(24)} ${m.mac}`);
      if (socket)
        console.log(
          `  apiserver: https://${APISERVER_SERVICE_IP}:443 from ${APISERVER_REACHABLE_FROM.join(", ")}`,
        );
      console.log("  try: ip netns exec mypc curl -s http://172.18.0.3:8080/");
      return 0;
    }
    case "down":
      await netDown({ force: rest.includes("--force"), keepLogs: rest.includes("--keep-logs") });
      console.log("net: down");
      return 0;
    case "status": {
      const status = await netStatus();
      for (const ns of status.namespaces) console.log(`${ns.exists ? "present" : "absent "}  ${ns.name}`);
      for (const p of status.processes)
        console.log(`${p.alive ? "running" : "dead   "}  ${p.key} (pid ${p.pid})`);
      if (status.leaseHolder !== undefined) console.log(`lease held by pid ${status.leaseHolder}`);
      for (const problem of status.problems) console.log(`problem: ${problem}`);
      return status.problems.length === 0 ? 0 : 3;
    }
    default:
      console.error(
        "usage: bun e2e/net/cli.ts up [--cluster | --apiserver-socket PATH] [--multicast-snooping] | down [--force] [--keep-logs] | status",
      );
      return 2;
  }
}

process.exit(await main(process.argv.slice(2)));
