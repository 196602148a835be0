/**
 * Where the real nodes (kubelet + containerd + kube-proxy per node namespace) keep their state, and
 * the cluster-wide numbers they share. One directory per node: it stands in for the node's disk.
 */
import { join } from "node:path";
import { METALBUN_TMP } from "../net/procs.ts";

export const NODES_STATE_DIR = join(METALBUN_TMP, "nodes");

/**
 * Pod addresses, dual-stack with IPv4 first as kind's `ipFamily: dual` sets them up: the
 * controller-manager gives each node a /24 of the IPv4 range and a /64 of the IPv6 one.
 */
export const CLUSTER_POD_CIDRS = ["10.244.0.0/16", "fd00:10:244::/56"] as const;
export const NODE_POD_CIDR_MASK_IPV4 = 24;
export const NODE_POD_CIDR_MASK_IPV6 = 64;

/** Directories the kubelet, containerd and CNI hard-code; each node binds its own over them. */
export const HOST_MOUNT_POINTS = ["/var/lib/kubelet", "/run/containerd", "/var/lib/cni"] as const;

/**
 * Global (not per network namespace) sysctls the kubelet sets at start. Each node binds a file of
 * its own over them, so the machine's values are never written. The values are the kubelet's.
 */
export const KUBELET_GLOBAL_SYSCTLS: Readonly<Record<string, string>> = {
  "vm/overcommit_memory": "1",
  "vm/panic_on_oom": "0",
  "kernel/panic": "10",
  "kernel/panic_on_oops": "1",
  "kernel/keys/root_maxkeys": "1000000",
  "kernel/keys/root_maxbytes": "25000000",
};

/**
 * Sysctls of the node's own network namespace, set before its components start, as kind asks
 * docker for them on a dual-stack node's container. IPv6 forwarding: the node routes its pods'
 * traffic (the bridge plugin turns IPv4 forwarding on itself). No duplicate address detection on
 * links made later: cni0 would hold its IPv6 gateway address tentative for a second or two after
 * the first pod started, and that pod, already Ready over IPv4, could not answer over IPv6.
 */
export const NODE_NAMESPACE_SYSCTLS: Readonly<Record<string, string>> = {
  "net.ipv6.conf.all.forwarding": "1",
  "net.ipv6.conf.default.accept_dad": "0",
};

/** The cgroup of every pod of a node, in each cgroup v1 hierarchy (the kubelet's cgroupRoot). */
export const nodeCgroupRoot = (node: string) => `/metalbun-${node}`;

export interface NodeFiles {
  readonly dir: string;
  readonly logs: string;
  readonly containerdConfig: string;
  readonly containerdSocket: string;
  readonly kubeletConfig: string;
  readonly kubeletKubeconfig: string;
  readonly kubeProxyConfig: string;
  readonly kubeProxyKubeconfig: string;
  readonly cniTemplate: string;
  readonly resolvConf: string;
  readonly sysctls: string;
  /** The node's own copies of HOST_MOUNT_POINTS, /var/log and /run/netns. */
  readonly binds: Readonly<Record<string, string>>;
  readonly initPid: string;
}

export function nodeFiles(node: string): NodeFiles {
  const dir = join(NODES_STATE_DIR, node);
  return {
    dir,
    logs: join(dir, "logs"),
    containerdConfig: join(dir, "containerd.toml"),
    containerdSocket: join(dir, "containerd.sock"),
    kubeletConfig: join(dir, "kubelet.yaml"),
    kubeletKubeconfig: join(dir, "kubelet.kubeconfig"),
    kubeProxyConfig: join(dir, "kube-proxy.yaml"),
    kubeProxyKubeconfig: join(dir, "kube-proxy.kubeconfig"),
    cniTemplate: join(dir, "cni-template.json"),
    resolvConf: join(dir, "resolv.conf"),
    sysctls: join(dir, "sysctl"),
    binds: {
      "/var/lib/kubelet": join(dir, "var-lib-kubelet"),
      "/run/containerd": join(dir, "run-containerd"),
      "/var/lib/cni": join(dir, "var-lib-cni"),
      "/var/log": join(dir, "var-log"),
      "/run/netns": join(dir, "run-netns"),
    },
    initPid: join(dir, "init.pid"),
  };
}

/** The control plane's own components (beside etcd and the apiserver of e2e/cluster). */
export const CONTROL_PLANE_DIR = join(NODES_STATE_DIR, "control-plane");
