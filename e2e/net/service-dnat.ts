/**
 * kube-proxy's part of the seed lab: in a node namespace, traffic to a Service's external IP
 * (port 80) is DNATed to the node's own web server (<node IP>:8080), for IPv4 and IPv6.
 *
 * The whole set of rules of a node is one nftables table that is replaced atomically
 * (`nft -f` runs a script as one transaction), so applying the same set twice is a no-op and a
 * half-applied state never exists.
 */
import { execIn } from "./exec.ts";
import { runOk } from "./run.ts";
import { type Member, nodeNamed, WEB_PORT } from "./topology.ts";

export const DNAT_TABLE = "metalbun_kube_proxy";

export interface ServiceTarget {
  /** The Service's external IP (IPv4 or IPv6). */
  readonly ip: string;
  /** The Service port (80 in the seed lab). */
  readonly port: number;
}

export type ServiceTargetInput = string | { readonly ip: string; readonly port?: number };

export function isIpv6(ip: string): boolean {
  return ip.includes(":");
}

export function normalizeTargets(inputs: readonly ServiceTargetInput[]): ServiceTarget[] {
  const byKey = new Map<string, ServiceTarget>();
  for (const input of inputs) {
    const target =
      typeof input === "string" ? { ip: input, port: 80 } : { ip: input.ip, port: input.port ?? 80 };
    if (!/^[0-9a-fA-F:.]+$/.test(target.ip)) throw new Error(`not an IP address: ${target.ip}`);
    if (!Number.isInteger(target.port) || target.port < 1 || target.port > 65535) {
      throw new Error(`not a port: ${target.port}`);
    }
    byKey.set(targetComment(target), target);
  }
  return [...byKey.values()].sort((a, b) => targetComment(a).localeCompare(targetComment(b)));
}

/** The comment tagging each rule; it is how the current set is read back. */
export function targetComment(t: ServiceTarget): string {
  return isIpv6(t.ip) ? `svc [${t.ip}]:${t.port}` : `svc ${t.ip}:${t.port}`;
}

function ruleFor(node: Member, t: ServiceTarget): string {
  return isIpv6(t.ip)
    ? `ip6 daddr ${t.ip} tcp dport ${t.port} dnat ip6 to [${node.ipv6}]:${WEB_PORT} comment "${targetComment(t)}"`
    : `ip daddr ${t.ip} tcp dport ${t.port} dnat ip to ${node.ipv4}:${WEB_PORT} comment "${targetComment(t)}"`;
}

/**
 * The nft script that makes the node's table hold exactly these rules. Declaring the table first
 * makes the delete succeed when it does not exist yet; an empty set leaves no table behind.
 */
export function serviceDnatScript(node: Member, targets: readonly ServiceTarget[]): string {
  const lines = [`table inet ${DNAT_TABLE}`, `delete table inet ${DNAT_TABLE}`];
  if (targets.length > 0) {
    const rules = targets.map((t) => `    ${ruleFor(node, t)}`).join("\n");
    lines.push(
      `table inet ${DNAT_TABLE} {`,
      // Traffic arriving from the segment (mypc -> VIP).
      "  chain prerouting {",
      "    type nat hook prerouting priority dstnat; policy accept;",
      rules,
      "  }",
      // Traffic the node itself sends to the VIP, as kube-proxy also handles.
      "  chain output {",
      "    type nat hook output priority -100; policy accept;",
      rules,
      "  }",
      "}",
    );
  }
  return `${lines.join("\n")}\n`;
}

/** Makes the node's DNAT rules exactly `targets` (bare strings mean port 80). Idempotent. */
export async function setServiceDnat(
  nodeName: string,
  targets: readonly ServiceTargetInput[],
): Promise<void> {
  const node = nodeNamed(nodeName);
  const script = serviceDnatScript(node, normalizeTargets(targets));
  await runOk(["ip", "netns", "exec", node.name, "nft", "-f", "-"], { stdin: script });
}

interface NftJson {
  nftables?: Array<{ rule?: { chain?: string; comment?: string } }>;
}

/** The Service targets currently DNATed in the node, read back from nftables. */
export async function currentServiceDnat(nodeName: string): Promise<ServiceTarget[]> {
  const node = nodeNamed(nodeName);
  const result = await execIn(node.name, ["nft", "-j", "list", "table", "inet", DNAT_TABLE]);
  if (result.exitCode !== 0) return []; // no table: no rules
  const parsed = JSON.parse(result.stdout) as NftJson;
  const targets: ServiceTargetInput[] = [];
  for (const item of parsed.nftables ?? []) {
    const comment = item.rule?.chain === "prerouting" ? item.rule.comment : undefined;
    const match = comment?.match(/^svc \[?([0-9a-fA-F:.]+?)\]?:(\d+)$/);
    if (match) targets.push({ ip: match[1]!, port: Number(match[2]) });
  }
  return normalizeTargets(targets);
}

export async function addServiceDnat(nodeName: string, ip: string, port = 80): Promise<void> {
  await setServiceDnat(nodeName, [...(await currentServiceDnat(nodeName)), { ip, port }]);
}

export async function removeServiceDnat(nodeName: string, ip: string, port = 80): Promise<void> {
  const remaining = (await currentServiceDnat(nodeName)).filter((t) => !(t.ip === ip && t.port === port));
  await setServiceDnat(nodeName, remaining);
}
