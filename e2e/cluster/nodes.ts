/**
 * The kubelet's part that metalbun sees: Node objects. With no kubelet here, the testbed registers
 * one Node per node namespace, labelled as kind labels them (hostname, os, and on the control plane
 * the role and `node.kubernetes.io/exclude-from-external-load-balancers`, which is why the seed's
 * Services are never announced from myk8s-control-plane), with its addresses and a Ready condition.
 */
import type { Member } from "../net/topology.ts";
import { kubectl } from "./cluster.ts";

export interface NodeOptions {
  /** Extra labels per node name. */
  readonly labels?: Readonly<Record<string, Record<string, string>>>;
}

function nodeObject(member: Member, extraLabels: Record<string, string>): object {
  const controlPlane = member.name.endsWith("control-plane");
  return {
    apiVersion: "v1",
    kind: "Node",
    metadata: {
      name: member.name,
      labels: {
        "kubernetes.io/hostname": member.name,
        "kubernetes.io/os": "linux",
        "kubernetes.io/arch": "amd64",
        ...(controlPlane
          ? {
              "node-role.kubernetes.io/control-plane": "",
              "node.kubernetes.io/exclude-from-external-load-balancers": "",
            }
          : {}),
        ...extraLabels,
      },
    },
    spec: controlPlane
      ? { taints: [{ key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" }] }
      : {},
  };
}

function nodeStatus(member: Member): object {
  const now = new Date().toISOString();
  return {
    status: {
      addresses: [
        { type: "InternalIP", address: member.ipv4 },
        { type: "InternalIP", address: member.ipv6 },
        { type: "Hostname", address: member.name },
      ],
      conditions: [
        {
          type: "Ready",
          status: "True",
          reason: "KubeletReady",
          message: "registered by the metalbun testbed",
          lastHeartbeatTime: now,
          lastTransitionTime: now,
        },
        {
          type: "NetworkUnavailable",
          status: "False",
          reason: "RouteCreated",
          message: "testbed bridge",
          lastHeartbeatTime: now,
          lastTransitionTime: now,
        },
      ],
    },
  };
}

async function ok(args: string[], stdin?: string): Promise<void> {
  const r = await kubectl(args, stdin === undefined ? {} : { stdin });
  if (r.exitCode !== 0) throw new Error(`kubectl ${args.join(" ")}: ${r.stderr.trim()}`);
}

/** Creates or updates a Node per member (idempotent: server-side apply, then the status subresource). */
export async function registerNodes(members: readonly Member[], opts: NodeOptions = {}): Promise<void> {
  for (const m of members) {
    await ok(
      ["apply", "--server-side", "--field-manager=metalbun-testbed", "-f", "-"],
      JSON.stringify(nodeObject(m, opts.labels?.[m.name] ?? {})),
    );
    await ok([
      "patch",
      "node",
      m.name,
      "--subresource=status",
      "--type=merge",
      "-p",
      JSON.stringify(nodeStatus(m)),
    ]);
  }
}

/** Sets a Node's Ready condition, as the node lifecycle controller does when a kubelet stops reporting. */
export async function registerNodeReady(name: string, ready: boolean): Promise<void> {
  const now = new Date().toISOString();
  const condition = ready
    ? { type: "Ready", status: "True", reason: "KubeletReady", message: "kubelet is posting ready status" }
    : {
        type: "Ready",
        status: "Unknown",
        reason: "NodeStatusUnknown",
        message: "Kubelet stopped posting node status.",
      };
  const r = await kubectl([
    "patch",
    "node",
    name,
    "--subresource=status",
    "--type=strategic",
    "-p",
    JSON.stringify({
      status: { conditions: [{ ...condition, lastHeartbeatTime: now, lastTransitionTime: now }] },
    }),
  ]);
  if (r.exitCode !== 0) throw new Error(`kubectl patch node ${name}: ${r.stderr.trim()}`);
}
