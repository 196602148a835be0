/**
 * Real nodes leave nothing on the machine: a bring-up killed half-way (the CLI SIGKILLed while the
 * nodes start) is removed completely by the network's teardown, which every test and the lab run,
 * and the machine's own sysctls and firewall rules are as they were.
 */
import { expect, test } from "bun:test";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { stopCluster } from "../cluster/cluster.ts";
import { run } from "../net/run.ts";
import { netDown } from "../net/testbed.ts";
import { NAMESPACES, NODES } from "../net/topology.ts";
import { leftoverNodeCgroups } from "./cgroups.ts";
import {
  HOST_MOUNT_POINTS,
  KUBELET_GLOBAL_SYSCTLS,
  NODE_NAMESPACE_SYSCTLS,
  NODES_STATE_DIR,
} from "./paths.ts";

const CLI = join(import.meta.dir, "cli.ts");

function hostSysctls(): Record<string, string> {
  const keys = [
    ...Object.keys(KUBELET_GLOBAL_SYSCTLS),
    ...Object.keys(NODE_NAMESPACE_SYSCTLS).map((k) => k.replaceAll(".", "/")),
    "net/netfilter/nf_conntrack_max",
  ];
  return Object.fromEntries(
    keys.map((k) => {
      try {
        return [k, readFileSync(`/proc/sys/${k}`, "utf8").trim()];
      } catch {
        return [k, "absent"];
      }
    }),
  );
}

/** Processes whose command line names the nodes' state directory (kubelets, containerds, shims). */
function nodeProcesses(): string[] {
  const found: string[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8").replaceAll("\0", " ");
      if (cmdline.includes(NODES_STATE_DIR)) found.push(`${entry}: ${cmdline.slice(0, 120)}`);
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

test("a bring-up killed half-way is removed by net down, and the machine's settings are untouched", async () => {
  const sysctls = hostSysctls();
  const ruleset = (await run(["nft", "list", "ruleset"])).stdout;
  const mountPointsBefore = HOST_MOUNT_POINTS.filter((d) => existsSync(d));

  const up = Bun.spawn(["bun", CLI, "up"], { stdout: "ignore", stderr: "ignore" });
  // Kill it once a kubelet runs: nodes, containerd and the control plane are all half made then.
  const kubeletLog = join(NODES_STATE_DIR, NODES[1]!.name, "logs", "kubelet.log");
  const deadline = Date.now() + 600_000;
  while (!existsSync(kubeletLog) && Date.now() < deadline) await Bun.sleep(100);
  expect(existsSync(kubeletLog)).toBe(true);
  await Bun.sleep(2000);
  up.kill("SIGKILL");
  await up.exited;
  expect(nodeProcesses().length).toBeGreaterThan(0);

  await netDown({ force: true });
  await stopCluster();

  expect(nodeProcesses()).toEqual([]);
  for (const n of NODES) expect(leftoverNodeCgroups(n.name)).toEqual([]);
  expect(existsSync(NODES_STATE_DIR)).toBe(false);
  expect(HOST_MOUNT_POINTS.filter((d) => existsSync(d))).toEqual(mountPointsBefore);
  expect(readdirSync("/run/netns").filter((n) => NAMESPACES.includes(n))).toEqual([]);
  expect(hostSysctls()).toEqual(sysctls);
  expect((await run(["nft", "list", "ruleset"])).stdout).toBe(ruleset);
}, 900_000);
