/**
 * The testbed cluster as seen by tests: a real kube-apiserver + etcd on the host's loopback.
 * (Contract first; the implementation lands next to it in cluster.ts.)
 */
export interface ClusterHandle {
  /** Admin kubeconfig (client-certificate auth, system:masters). */
  readonly kubeconfig: string;
  /** https://127.0.0.1:<port> as seen from the host network namespace. */
  readonly server: string;
  /** PEM file of the cluster CA (serving cert and client certs are signed by it). */
  readonly caFile: string;
  /** Directory holding kube-apiserver, kubectl and etcd of the pinned build. */
  readonly binDir: string;
  /** Path of the apiserver's host-side unix socket forwarder, for reaching it from network namespaces. */
  readonly apiserverUnixSocket: string;
}

export { ensureCluster, kubectl, restartApiserver, stopApiserver, stopCluster } from "./cluster.ts";
