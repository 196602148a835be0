/**
 * The configuration files of a real node, as text: containerd's, the kubelet's, kube-proxy's, the
 * CNI template and kubeconfigs. Pure (no I/O), so a unit test can read what a node is told.
 */
import { CLUSTER_POD_CIDRS, type NodeFiles, nodeCgroupRoot } from "./paths.ts";

export type ProxyMode = "iptables" | "nftables";

export interface KubeconfigInput {
  readonly server: string;
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly user: string;
}

export function kubeconfig(k: KubeconfigInput): string {
  return `apiVersion: v1
kind: Config
clusters:
- name: metalbun-testbed
  cluster:
    server: ${k.server}
    certificate-authority: ${k.caFile}
users:
- name: ${k.user}
  user:
    client-certificate: ${k.certFile}
    client-key: ${k.keyFile}
contexts:
- name: default
  context:
    cluster: metalbun-testbed
    user: ${k.user}
current-context: default
`;
}

export interface ContainerdInput {
  readonly files: NodeFiles;
  readonly binDir: string;
  /** The sandbox image every pod starts with (imported, never pulled). */
  readonly pauseImage: string;
}

/**
 * containerd 2.x (config version 3). restrict_oom_score_adj: this kind of VM drops
 * CAP_SYS_RESOURCE from every process, so runc cannot lower a container's oom_score_adj below its
 * own and every sandbox would fail with "can't get final child's PID from pipe: EOF".
 */
export function containerdConfig(c: ContainerdInput): string {
  const d = c.files.dir;
  return `version = 3
root = "${d}/containerd/root"
state = "${d}/containerd/state"

[grpc]
  address = "${c.files.containerdSocket}"
[ttrpc]
  address = "${c.files.containerdSocket}.ttrpc"

[plugins."io.containerd.internal.v1.opt"]
  path = "${d}/containerd/opt"
[plugins."io.containerd.cri.v1.images"]
  snapshotter = "overlayfs"
  [plugins."io.containerd.cri.v1.images".pinned_images]
    sandbox = "${c.pauseImage}"
[plugins."io.containerd.cri.v1.runtime"]
  enable_cdi = false
  restrict_oom_score_adj = true
  [plugins."io.containerd.cri.v1.runtime".containerd]
    default_runtime_name = "runc"
    [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]
        SystemdCgroup = false
        BinaryName = "${c.binDir}/runc"
        Root = "${d}/runc"
  [plugins."io.containerd.cri.v1.runtime".cni]
    bin_dirs = ["/usr/lib/cni"]
    conf_dir = "${d}/cni"
    conf_template = "${c.files.cniTemplate}"
`;
}

/**
 * containerd's template syntax for one host-local range set per podCIDR of the node (IPv4 first,
 * then IPv6, in the order of the Node's spec.podCIDRs) and a default route per family present.
 * containerd fills in PodCIDRRanges and Routes from what the kubelet passes on
 * (internal/cri/server/update_runtime_config.go).
 */
const CNI_RANGES = `[{{range $i, $range := .PodCIDRRanges}}{{if $i}}, {{end}}[{"subnet": "{{$range}}"}]{{end}}]`;
const CNI_ROUTES = `[{{range $i, $route := .Routes}}{{if $i}}, {{end}}{"dst": "{{$route}}"}{{end}}]`;

/**
 * A bridge per node (cni0) with the node's podCIDRs, which containerd fills in when the kubelet
 * passes them on; the nodes route each other's podCIDRs (e2e/nodes/pod-routes.ts), as kindnet does.
 * A Go template, not JSON, until containerd has rendered it.
 */
export function cniTemplate(files: NodeFiles): string {
  const json = JSON.stringify(
    {
      cniVersion: "0.4.0",
      name: "metalbun-testbed",
      plugins: [
        {
          type: "bridge",
          bridge: "cni0",
          isGateway: true,
          ipMasq: true,
          hairpinMode: true,
          ipam: {
            type: "host-local",
            dataDir: `${files.dir}/cni-ipam`,
            ranges: "@RANGES@",
            routes: "@ROUTES@",
          },
        },
        { type: "portmap", capabilities: { portMappings: true } },
      ],
    },
    null,
    2,
  );
  return `${json.replace('"@RANGES@"', () => CNI_RANGES).replace('"@ROUTES@"', () => CNI_ROUTES)}\n`;
}

export interface KubeletInput {
  readonly node: string;
  readonly nodeIp: string;
  readonly files: NodeFiles;
  readonly caFile: string;
  /** The control-plane node's taint, registered by the kubelet itself as kubeadm configures it. */
  readonly controlPlane: boolean;
}

export function kubeletConfig(k: KubeletInput): string {
  const taints = k.controlPlane
    ? `registerWithTaints:
- key: node-role.kubernetes.io/control-plane
  effect: NoSchedule
`
    : "";
  return `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# This machine kind mounts cgroup v1 (hybrid); kubelet 1.37 refuses it unless told otherwise.
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupRoot: ${nodeCgroupRoot(k.node)}
containerRuntimeEndpoint: unix://${k.files.containerdSocket}
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: ${k.caFile}}
authorization: {mode: Webhook}
address: ${k.nodeIp}
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
clusterDomain: cluster.local
resolvConf: ${k.files.resolvConf}
# The nodes share the machine's disk and memory: only a nearly full one should evict.
evictionHard: {memory.available: "100Mi", nodefs.available: "2%", imagefs.available: "2%"}
imageGCHighThresholdPercent: 100
maxPods: 30
serializeImagePulls: false
${taints}`;
}

export interface KubeProxyInput {
  readonly node: string;
  readonly files: NodeFiles;
  readonly mode: ProxyMode;
}

export function kubeProxyConfig(p: KubeProxyInput): string {
  return `apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection: {kubeconfig: ${p.files.kubeProxyKubeconfig}}
mode: ${p.mode}
# Both families: kube-proxy runs an IPv4 and an IPv6 proxier (ip6tables, or the ip6 kube-proxy
# nftables table), as the node has an address of each.
clusterCIDR: ${CLUSTER_POD_CIDRS.join(",")}
hostnameOverride: ${p.node}
metricsBindAddress: 127.0.0.1:10249
healthzBindAddress: 0.0.0.0:10256
# nf_conntrack_max and its hash size are global: a zero here leaves the machine's values alone.
conntrack: {maxPerCore: 0, min: 0}
`;
}
