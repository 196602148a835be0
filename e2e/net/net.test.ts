/**
 * The network testbed, proven with real namespaces and real packets: building, idempotence, ARP,
 * HTTP, kube-proxy-style DNAT, IPv6 NDP, the apiserver forwarder, teardown (also after a crash),
 * and that the machine's own network namespace never changes.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, statSync } from "node:fs";
import { type ClusterHandle, ensureCluster } from "../cluster/harness.ts";
import { execIn, spawnIn } from "./exec.ts";
import { isAlive, loadRecords, NET_STATE_DIR } from "./procs.ts";
import { run, runOk } from "./run.ts";
import { currentServiceDnat, setServiceDnat } from "./service-dnat.ts";
import { namespaceExists, netDown, netDownOnSignals, netUp, networkProblems } from "./testbed.ts";
import { CLIENT, NAMESPACES, NODES, nodeNamed, WEB_PORT } from "./topology.ts";

/** The machine's own network state; must be identical before and after. */
async function hostNetworkState(): Promise<string> {
  const parts = await Promise.all([
    runOk(["ip", "-o", "link"]),
    runOk(["ip", "-o", "addr"]),
    runOk(["ip", "route"]),
    runOk(["ip", "-6", "route"]),
  ]);
  return parts.join("\n---\n");
}

const inode = (ns: string) => statSync(`/run/netns/${ns}`).ino;

/** curl from mypc; returns the body, or "" on failure (timeout, refused). */
async function curlFromClient(url: string, timeoutSeconds = 2): Promise<string> {
  const result = await execIn(CLIENT.name, ["curl", "-s", "-g", "-m", String(timeoutSeconds), url]);
  return result.exitCode === 0 ? result.stdout : "";
}

let hostBefore = "";
let cluster: ClusterHandle;

beforeAll(async () => {
  netDownOnSignals();
  cluster = await ensureCluster();
  hostBefore = await hostNetworkState();
}, 600_000);

afterAll(async () => {
  await netDown();
});

describe("e2e/net testbed", () => {
  test("comes up from nothing with every namespace, link, address and web server", async () => {
    await netDown();
    for (const ns of NAMESPACES) expect(namespaceExists(ns)).toBe(false);
    await netUp({ apiserverUnixSocket: cluster.apiserverUnixSocket });
    for (const ns of NAMESPACES) expect(namespaceExists(ns)).toBe(true);
    expect(await networkProblems(undefined, false)).toEqual([]);
    const eth0 = JSON.parse(await runOk(["ip", "-n", "myk8s-worker", "-j", "addr", "show", "dev", "eth0"]));
    expect(eth0[0].address).toBe("02:42:ac:12:00:03");
    expect(eth0[0].addr_info.map((a: { local: string }) => a.local)).toEqual(
      expect.arrayContaining(["172.18.0.3", "fc00:f853:ccd:e793::3"]),
    );
  }, 60_000);

  test("up again is a no-op: same namespaces, same daemons", async () => {
    const inodes = NAMESPACES.map(inode);
    const pids = loadRecords().map((r) => [r.key, r.pid]);
    expect(pids.length).toBe(NODES.length + NODES.length + 1); // web servers + forwarders (nodes, mypc)
    await netUp({ apiserverUnixSocket: cluster.apiserverUnixSocket });
    expect(NAMESPACES.map(inode)).toEqual(inodes);
    expect(loadRecords().map((r) => [r.key, r.pid])).toEqual(pids);
  }, 60_000);

  test("another process cannot bring the testbed up or down while this one holds it", async () => {
    const script = (call: string) =>
      `import * as t from ${JSON.stringify(`${import.meta.dir}/testbed.ts`)}; await t.${call};`;
    for (const call of ["netUp({ leaseWaitMs: 300 })", "netDown()"]) {
      const other = await run([process.execPath, "-e", script(call)]);
      expect(other.exitCode).not.toBe(0);
      expect(other.stderr).toContain(`in use by pid ${process.pid}`);
    }
    expect(await networkProblems()).toEqual([]);
  }, 60_000);

  test("asking for a bridge with multicast snooping rebuilds it so, and back", async () => {
    await netUp({ apiserverUnixSocket: cluster.apiserverUnixSocket, multicastSnooping: true });
    expect(await networkProblems(true)).toEqual([]);
    await netUp({ apiserverUnixSocket: cluster.apiserverUnixSocket });
    expect(await networkProblems(false)).toEqual([]);
    expect(await curlFromClient("http://172.18.0.2:8080/")).toBe("myk8s-control-plane\n");
  }, 60_000);

  test("a dead web server is restarted by up", async () => {
    const web = loadRecords().find((r) => r.key === "myk8s-worker3.web")!;
    process.kill(web.pid, "SIGKILL");
    await netUp({ apiserverUnixSocket: cluster.apiserverUnixSocket });
    const again = loadRecords().find((r) => r.key === "myk8s-worker3.web")!;
    expect(again.pid).not.toBe(web.pid);
    expect(isAlive(again)).toBe(true);
    expect(await curlFromClient("http://172.18.0.5:8080/")).toBe("myk8s-worker3\n");
  }, 60_000);

  test("arping from mypc gets replies from each node with the node's MAC", async () => {
    const results = await Promise.all(
      NODES.map((node) => execIn(CLIENT.name, ["arping", "-c", "3", "-w", "5", "-I", "eth0", node.ipv4])),
    );
    NODES.forEach((node, i) => {
      const result = results[i]!;
      expect(result.exitCode).toBe(0);
      const replies = result.stdout.split("\n").filter((l) => l.startsWith("Unicast reply from"));
      expect(replies.length).toBe(3);
      for (const reply of replies) expect(reply).toContain(`${node.ipv4} [${node.mac.toUpperCase()}]`);
    });
  }, 60_000);

  test("curl from mypc to each node's web server returns the node name, over IPv4 and IPv6", async () => {
    for (const node of NODES) {
      expect(await curlFromClient(`http://${node.ipv4}:${WEB_PORT}/`)).toBe(`${node.name}\n`);
      expect(await curlFromClient(`http://[${node.ipv6}]:${WEB_PORT}/`)).toBe(`${node.name}\n`);
    }
  }, 60_000);

  test("a DNAT rule makes the VIP reach the node that mypc's neighbour entry points at", async () => {
    const vip4 = "172.18.255.200";
    const vip6 = "fc00:f853:ccd:e793:ffff::c8";
    const worker2 = nodeNamed("myk8s-worker2");
    const worker3 = nodeNamed("myk8s-worker3");
    const pointAt = async (mac: string) => {
      await runOk([
        "ip",
        "-n",
        CLIENT.name,
        "neigh",
        "replace",
        vip4,
        "lladdr",
        mac,
        "dev",
        "eth0",
        "nud",
        "permanent",
      ]);
      await runOk(["ip", "-n", CLIENT.name, "-6", "neigh", "replace", vip6, "lladdr", mac, "dev", "eth0"]);
    };
    // mypc has no route to the VIP other than the on-link /16 (v4) and /64 (v6): the neighbour
    // entry stands in for the ARP/NDP answer a speaker will give later.
    await pointAt(worker2.mac);
    expect(await curlFromClient(`http://${vip4}/`, 1)).toBe(""); // no rule yet: nobody answers

    await setServiceDnat(worker2.name, [vip4, vip6]);
    await setServiceDnat(worker2.name, [vip6, vip4]); // idempotent
    expect(await currentServiceDnat(worker2.name)).toEqual([
      { ip: vip6, port: 80 },
      { ip: vip4, port: 80 },
    ]);
    expect(await curlFromClient(`http://${vip4}/`)).toBe("myk8s-worker2\n");
    expect(await curlFromClient(`http://[${vip6}]/`)).toBe("myk8s-worker2\n");

    // The same frames sent to a node without the rule go nowhere.
    await pointAt(worker3.mac);
    expect(await curlFromClient(`http://${vip4}/`, 1)).toBe("");
    await setServiceDnat(worker3.name, [vip4]);
    expect(await curlFromClient(`http://${vip4}/`)).toBe("myk8s-worker3\n");

    await setServiceDnat(worker2.name, []);
    await setServiceDnat(worker3.name, []);
    expect(await currentServiceDnat(worker3.name)).toEqual([]);
    expect(await curlFromClient(`http://${vip4}/`, 1)).toBe("");
    await runOk(["ip", "-n", CLIENT.name, "neigh", "del", vip4, "dev", "eth0"]);
    await runOk(["ip", "-n", CLIENT.name, "-6", "neigh", "del", vip6, "dev", "eth0"]);
  }, 60_000);

  test("IPv6: ping and ndisc6 between mypc and a node", async () => {
    const worker = nodeNamed("myk8s-worker");
    const ping = await execIn(CLIENT.name, ["ping", "-6", "-c", "2", "-W", "2", worker.ipv6]);
    expect(ping.stdout).toContain("2 received");
    const ndisc = await execIn(CLIENT.name, ["ndisc6", "-r", "3", worker.ipv6, "eth0"]);
    expect(ndisc.exitCode).toBe(0);
    expect(ndisc.stdout).toContain(`Target link-layer address: ${worker.mac.toUpperCase()}`);
    const back = await execIn(worker.name, ["ping", "-6", "-c", "1", "-W", "2", CLIENT.ipv6]);
    expect(back.stdout).toContain("1 received");
  }, 60_000);

  test("the apiserver answers at https://10.96.0.1 from every node and from mypc", async () => {
    for (const ns of [...NODES.map((n) => n.name), CLIENT.name]) {
      const result = await execIn(ns, [
        "curl",
        "-s",
        "-m",
        "5",
        "--cacert",
        cluster.caFile,
        "https://10.96.0.1/version",
      ]);
      expect(result.exitCode).toBe(0);
      expect(JSON.parse(result.stdout).gitVersion).toMatch(/^v1\.37\./);
    }
  }, 60_000);

  test("up rebuilds a partial testbed left by a crash, and down ends processes it finds inside", async () => {
    // A crash mid-way: one namespace gone, a daemon killed without its pid file being removed.
    await runOk(["ip", "netns", "delete", "router"]);
    const web = loadRecords().find((r) => r.key === "myk8s-worker.web")!;
    process.kill(web.pid, "SIGKILL");
    expect((await networkProblems()).length).toBeGreaterThan(0);
    await netUp({ apiserverUnixSocket: cluster.apiserverUnixSocket });
    expect(await networkProblems()).toEqual([]);
    expect(await curlFromClient("http://172.18.0.3:8080/")).toBe("myk8s-worker\n");

    // A tracked process and an untracked one (started by hand) inside our namespaces.
    const tracked = spawnIn("router", ["sleep", "300"], { key: "router.sleep-test" });
    const untracked = Bun.spawn(["ip", "netns", "exec", "mypc", "sleep", "300"]);
    await Bun.sleep(100);
    const trackedRecord = tracked.record;
    await netDown();
    expect(await tracked.exited).not.toBe(0);
    expect(await untracked.exited).not.toBe(0);
    expect(isAlive(trackedRecord)).toBe(false);
  }, 60_000);

  test("down removes every namespace, process and state file, and is idempotent", async () => {
    await netUp({ apiserverUnixSocket: cluster.apiserverUnixSocket });
    const records = loadRecords();
    expect(records.length).toBeGreaterThan(0);
    await netDown();
    await netDown();
    for (const ns of NAMESPACES) expect(namespaceExists(ns)).toBe(false);
    const listed = await runOk(["ip", "netns", "list"]);
    for (const ns of NAMESPACES) expect(listed.split("\n").some((l) => l.split(" ")[0] === ns)).toBe(false);
    for (const r of records) expect(isAlive(r)).toBe(false);
    expect(existsSync(NET_STATE_DIR)).toBe(false);
  }, 60_000);

  test("nothing in the machine's own network namespace changed", async () => {
    expect(await hostNetworkState()).toBe(hostBefore);
    // And no interface of ours ever showed up there.
    const links = (await run(["ip", "-o", "link"])).stdout;
    expect(links).not.toMatch(/veth-|br0|02:42:ac:12/);
  });
});
