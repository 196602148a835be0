/**
 * The real nodes are dual-stack, IPv4 first, as a kind cluster with `ipFamily: dual`: each Node has
 * an InternalIP and a podCIDR of each family, pods get an address of each, and kube-proxy carries a
 * RequireDualStack Service's IPv6 ClusterIP to pods on every worker, in iptables mode (ip6tables)
 * and in nftables mode (the `ip6 kube-proxy` table).
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { cidrContains, parseCIDR, parseIP } from "../../operator/src/domain/ip/index.ts";
import { until } from "../bench/report.ts";
import { kubectl } from "../cluster/cluster.ts";
import { SERVICE_CIDRS } from "../cluster/paths.ts";
import { nodeOfSource, parseWebpodAnswer } from "../lab/webpod-answer.ts";
import { execIn } from "../net/exec.ts";
import { netDownOnSignals } from "../net/testbed.ts";
import { NODES, WORKERS } from "../net/topology.ts";
import { CLUSTER_POD_CIDRS, NODE_POD_CIDR_MASK_IPV4, NODE_POD_CIDR_MASK_IPV6 } from "./paths.ts";
import { allPodCidrs } from "./pod-routes.ts";
import { realClusterDown, realClusterUp, setProxyMode } from "./real-cluster.ts";

const SEED = join(import.meta.dir, "..", "lab", "seed");
const CONTROL_PLANE = NODES[0]!;

/** Whether `address` (an address or a CIDR) lies in `cidr`, with the family and `prefix` given. */
function within(address: string, cidr: string, prefix?: number): boolean {
  const range = parseCIDR(cidr);
  const [host, length] = address.split("/");
  const ip = parseIP(host!);
  if (!range.ok || ip === undefined || ip.family !== range.value.family) return false;
  if (prefix !== undefined && Number(length) !== prefix) return false;
  return cidrContains(range.value, ip);
}

async function ok(args: string[], stdin?: string): Promise<string> {
  const r = await kubectl(args, stdin === undefined ? {} : { stdin });
  if (r.exitCode !== 0) throw new Error(`kubectl ${args.join(" ")}: ${r.stderr.trim()}`);
  return r.stdout;
}

interface Node {
  metadata: { name: string };
  spec: { podCIDRs?: string[] };
  status: { addresses?: Array<{ type: string; address: string }> };
}

interface Pod {
  metadata: { name: string };
  spec: { nodeName?: string };
  status: { podIPs?: Array<{ ip: string }> };
}

const webpods = async () =>
  (JSON.parse(await ok(["get", "pods", "-l", "app=webpod", "-o", "json"])) as { items: Pod[] }).items;

/** The Service's ClusterIP of the IPv6 family. */
async function clusterIpv6(name: string): Promise<string> {
  const ips = JSON.parse(await ok(["get", "svc", name, "-o", "jsonpath={.spec.clusterIPs}"])) as string[];
  const v6 = ips.find((ip) => ip.includes(":"));
  if (v6 === undefined) throw new Error(`${name} has no IPv6 ClusterIP: ${ips.join(", ")}`);
  return v6;
}

/**
 * Requests over IPv6 from the control-plane node (no webpod runs there, so every answer crossed to
 * a worker) until each webpod has answered or `timeoutMs` passed: the pods that answered, with the
 * node each saw the request come from.
 */
async function answersOverIpv6(ip: string, timeoutMs: number): Promise<Map<string, string | undefined>> {
  const want = (await webpods()).map((p) => p.metadata.name);
  const cidrs = await allPodCidrs();
  const answered = new Map<string, string | undefined>();
  const deadline = Date.now() + timeoutMs;
  while (want.some((pod) => !answered.has(pod)) && Date.now() < deadline) {
    const r = await execIn(CONTROL_PLANE.name, ["curl", "-6", "-s", "-m", "2", `http://[${ip}]/`]);
    const answer = parseWebpodAnswer(r.stdout);
    if (answer) answered.set(answer.hostname, nodeOfSource(answer.remoteIp, cidrs));
    else await Bun.sleep(200);
  }
  return answered;
}

beforeAll(async () => {
  netDownOnSignals();
  await realClusterUp({ proxyMode: "iptables" });
  await ok(["apply", "-f", join(SEED, "webpod.yaml")]);
  await ok(
    ["apply", "-f", "-"],
    JSON.stringify({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "webpod-dual", namespace: "default" },
      spec: {
        ipFamilyPolicy: "RequireDualStack",
        selector: { app: "webpod" },
        ports: [{ port: 80, targetPort: 80 }],
      },
    }),
  );
  await ok(["rollout", "status", "deployment/webpod", "--timeout=180s"]);
}, 900_000);

afterAll(async () => {
  await realClusterDown();
}, 120_000);

describe("a dual-stack cluster on the real nodes", () => {
  test("every Node has an InternalIP and a podCIDR of each family, IPv4 first", async () => {
    const nodes = (JSON.parse(await ok(["get", "nodes", "-o", "json"])) as { items: Node[] }).items;
    expect(nodes.map((n) => n.metadata.name).sort()).toEqual(NODES.map((n) => n.name).sort());
    for (const node of nodes) {
      const member = NODES.find((n) => n.name === node.metadata.name)!;
      const internal = node.status.addresses?.filter((a) => a.type === "InternalIP").map((a) => a.address);
      expect(internal).toEqual([member.ipv4, member.ipv6]);
      const [v4, v6, ...more] = node.spec.podCIDRs ?? [];
      expect(more).toEqual([]);
      expect(within(v4!, CLUSTER_POD_CIDRS[0], NODE_POD_CIDR_MASK_IPV4)).toBe(true);
      expect(within(v6!, CLUSTER_POD_CIDRS[1], NODE_POD_CIDR_MASK_IPV6)).toBe(true);
    }
  });

  test("every webpod has an IPv4 and an IPv6 address, from its node's podCIDRs", async () => {
    const cidrs = await allPodCidrs();
    const pods = await webpods();
    expect(pods.map((p) => p.spec.nodeName).sort()).toEqual(WORKERS.map((w) => w.name).sort());
    for (const pod of pods) {
      const ips = pod.status.podIPs?.map((p) => p.ip) ?? [];
      expect(ips).toHaveLength(2);
      const [v4Cidr, v6Cidr] = cidrs.get(pod.spec.nodeName!)!;
      expect(within(ips[0]!, v4Cidr!)).toBe(true);
      expect(within(ips[1]!, v6Cidr!)).toBe(true);
    }
  });

  test("a webpod answers on its IPv6 address from another node, through the pod routes", async () => {
    for (const pod of await webpods()) {
      const v6 = pod.status.podIPs![1]!.ip;
      const r = await execIn(CONTROL_PLANE.name, ["curl", "-6", "-s", "-m", "2", `http://[${v6}]/`]);
      const answer = parseWebpodAnswer(r.stdout);
      expect(answer?.hostname).toBe(pod.metadata.name);
      // No address translation on the way: the pod sees the control-plane node's own address.
      expect(answer?.remoteIp).toBe(CONTROL_PLANE.ipv6);
    }
  }, 30_000);

  test("iptables mode: the RequireDualStack Service's IPv6 ClusterIP reaches the webpods on every worker", async () => {
    const ip = await clusterIpv6("webpod-dual");
    expect(within(ip, SERVICE_CIDRS[1])).toBe(true);
    // kube-proxy syncs a new Service on its own schedule (a CI run read the table before it had).
    const rules = await until(
      () => execIn(WORKERS[0]!.name, ["ip6tables-save", "-t", "nat"]),
      (r) => r.stdout.includes("default/webpod-dual"),
      30_000,
      250,
    );
    expect(rules.stdout).toContain("KUBE-SVC-");
    expect(rules.stdout).toContain("default/webpod-dual");
    const answered = await answersOverIpv6(ip, 20_000);
    expect([...answered.keys()].sort()).toEqual((await webpods()).map((p) => p.metadata.name).sort());
    // kube-proxy masquerades a host-network client: each pod saw the control-plane node's address.
    expect(new Set(answered.values())).toEqual(new Set([CONTROL_PLANE.name]));
  }, 60_000);

  test("nftables mode: kube-proxy programs the ip6 kube-proxy table and the IPv6 ClusterIP still answers", async () => {
    await setProxyMode("nftables");
    for (const n of NODES) {
      // The nftables proxier removes the iptables mode's rules after its first sync: once both
      // are seen, only the nftables table can carry the IPv6 traffic below.
      const rules = await until(
        async () => ({
          table: await execIn(n.name, ["nft", "list", "table", "ip6", "kube-proxy"]),
          legacy: await execIn(n.name, ["ip6tables-save", "-t", "nat"]),
        }),
        (r) => r.table.stdout.includes("service-") && !r.legacy.stdout.includes("KUBE-SVC-"),
        30_000,
        250,
      );
      expect(rules.table.exitCode).toBe(0);
      expect(rules.table.stdout).toContain("service-");
      expect(rules.legacy.stdout).not.toContain("KUBE-SVC-");
    }
    const answered = await answersOverIpv6(await clusterIpv6("webpod-dual"), 20_000);
    expect(answered.size).toBe(WORKERS.length);
  }, 120_000);
});
