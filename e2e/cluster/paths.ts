/** Where the testbed keeps its state and which loopback ports it uses: one place for every file name. */
import { join } from "node:path";

export const STATE_ROOT = process.env.METALBUN_STATE ?? "/tmp/metalbun";
export const CLUSTER_DIR = join(STATE_ROOT, "cluster");

/** Loopback ports chosen away from the usual 2379/6443 so a developer's own cluster never collides. */
export const ETCD_CLIENT_PORT = 12379;
export const ETCD_PEER_PORT = 12380;
export const APISERVER_PORT = 16443;
export const APISERVER_URL = `https://127.0.0.1:${APISERVER_PORT}`;

/** Both families, so dual-stack Services can be created (the apiserver allocates their ClusterIPs). */
export const SERVICE_CIDRS = ["10.96.0.0/16", "fd00:10:96::/112"] as const;
/** First address of the v4 service range: the `kubernetes` Service ClusterIP pods use in-cluster. */
export const KUBERNETES_SERVICE_IP = "10.96.0.1";
/** The control-plane node's address on the lab segment; the apiserver advertises it in the kubernetes Endpoints. */
export const CONTROL_PLANE_IP = "172.18.0.2";

export const clusterFiles = {
  dir: CLUSTER_DIR,
  pki: join(CLUSTER_DIR, "pki"),
  caCert: join(CLUSTER_DIR, "pki", "ca.crt"),
  caKey: join(CLUSTER_DIR, "pki", "ca.key"),
  servingCert: join(CLUSTER_DIR, "pki", "apiserver.crt"),
  servingKey: join(CLUSTER_DIR, "pki", "apiserver.key"),
  adminCert: join(CLUSTER_DIR, "pki", "admin.crt"),
  adminKey: join(CLUSTER_DIR, "pki", "admin.key"),
  kubeletClientCert: join(CLUSTER_DIR, "pki", "apiserver-kubelet-client.crt"),
  kubeletClientKey: join(CLUSTER_DIR, "pki", "apiserver-kubelet-client.key"),
  serviceAccountKey: join(CLUSTER_DIR, "pki", "sa.key"),
  serviceAccountPub: join(CLUSTER_DIR, "pki", "sa.pub"),
  kubeconfig: join(CLUSTER_DIR, "admin.kubeconfig"),
  etcdData: join(CLUSTER_DIR, "etcd"),
  logs: join(CLUSTER_DIR, "logs"),
  pids: join(CLUSTER_DIR, "pids"),
  apiserverSocket: join(CLUSTER_DIR, "apiserver.sock"),
} as const;
