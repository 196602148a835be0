/**
 * A second L2 segment for the tests that need one, built inside the testbed's own namespaces (so
 * `netDown` removes it with them): a bridge `br1` beside br0 in the bridge namespace, an `eth1` in
 * every node namespace and in mypc on 172.19.0.0/24 (same host numbers as on 172.18.0.0/16, MACs
 * 02:42:ac:13:... as docker would give them). A node's port can be cut at the bridge, as a failed
 * switch port or cable: the node's eth1 keeps its carrier and its addresses, only frames stop.
 */
import { execIn } from "./exec.ts";
import { plugIntoBridge } from "./testbed.ts";
import { BRIDGE_NAMESPACE, CLIENT, type Member, macForIpv4, NODES } from "./topology.ts";

export const SEGMENT2_BRIDGE = "br1";
export const SEGMENT2_IFNAME = "eth1";
export const SEGMENT2_PREFIX = "172.19.0.0/24";
const CUT_TABLE = "segment2_cut";

export interface Segment2Member {
  readonly name: string;
  /** The veth end on br1 (at most 15 characters). */
  readonly bridgePort: string;
  readonly ipv4: string;
  readonly mac: string;
}

function onSegment2(m: Member, index: number): Segment2Member {
  const ipv4 = m.ipv4.replace(/^172\.18\./, "172.19.");
  return { name: m.name, bridgePort: `s2-${index}`, ipv4, mac: macForIpv4(ipv4) };
}

export const SEGMENT2_NODES: readonly Segment2Member[] = NODES.map(onSegment2);
export const SEGMENT2_CLIENT: Segment2Member = onSegment2(CLIENT, NODES.length);

async function ok(ns: string, argv: string[]): Promise<void> {
  const r = await execIn(ns, argv);
  if (r.exitCode !== 0) throw new Error(`${ns}: ${argv.join(" ")}: ${r.stderr.trim()}`);
}

/** Creates br1 and every member's eth1 on it (idempotent: an existing br1 is rebuilt). */
export async function segment2Up(): Promise<void> {
  await segment2Down();
  await ok(BRIDGE_NAMESPACE, ["ip", "link", "add", SEGMENT2_BRIDGE, "type", "bridge"]);
  await ok(BRIDGE_NAMESPACE, ["ip", "link", "set", SEGMENT2_BRIDGE, "up"]);
  for (const m of [...SEGMENT2_NODES, SEGMENT2_CLIENT]) {
    await plugIntoBridge(m.name, SEGMENT2_IFNAME, m.bridgePort, SEGMENT2_BRIDGE);
    await ok(m.name, ["ip", "link", "set", SEGMENT2_IFNAME, "address", m.mac]);
    await ok(m.name, ["ip", "addr", "add", `${m.ipv4}/24`, "dev", SEGMENT2_IFNAME]);
    await ok(m.name, ["ip", "link", "set", SEGMENT2_IFNAME, "up"]);
  }
}

/** Removes br1 and every eth1 (a veth's peer goes with it); nothing when absent. */
export async function segment2Down(): Promise<void> {
  await execIn(BRIDGE_NAMESPACE, ["nft", "delete", "table", "bridge", CUT_TABLE]);
  for (const m of [...SEGMENT2_NODES, SEGMENT2_CLIENT]) {
    await execIn(BRIDGE_NAMESPACE, ["ip", "link", "delete", m.bridgePort]);
  }
  await execIn(BRIDGE_NAMESPACE, ["ip", "link", "delete", SEGMENT2_BRIDGE]);
}

/** Drops every frame from and to the node's port on br1 (the node sees nothing change). */
export async function cutSegment2Port(node: string): Promise<void> {
  const port = SEGMENT2_NODES.find((m) => m.name === node)?.bridgePort;
  if (port === undefined) throw new Error(`${node} is not on the second segment`);
  const rules = [
    `table bridge ${CUT_TABLE} {`,
    "  chain forward {",
    "    type filter hook forward priority 0; policy accept;",
    `    iifname "${port}" drop`,
    `    oifname "${port}" drop`,
    "  }",
    "}",
  ].join("\n");
  const r = await execIn(BRIDGE_NAMESPACE, ["nft", "-f", "-"], { stdin: rules });
  if (r.exitCode !== 0) throw new Error(`cutting ${port}: ${r.stderr.trim()}`);
}

/** Lets the cut port's frames through again. */
export async function restoreSegment2(): Promise<void> {
  await ok(BRIDGE_NAMESPACE, ["nft", "delete", "table", "bridge", CUT_TABLE]);
}

/** Which node answers mypc's ARP request for `ip` on the second segment (by the reply's MAC). */
export async function segment2Answerer(ip: string): Promise<string | undefined> {
  const r = await execIn(CLIENT.name, ["arping", "-c", "1", "-w", "1", "-I", SEGMENT2_IFNAME, ip]);
  const mac = r.stdout.match(/reply from \S+ \[([0-9A-Fa-f:]{17})\]/)?.[1]?.toLowerCase();
  return mac === undefined ? undefined : SEGMENT2_NODES.find((m) => m.mac === mac)?.name;
}
