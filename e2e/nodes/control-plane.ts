/**
 * The control plane's controllers beside etcd and the apiserver: kube-controller-manager (the
 * DaemonSet, Deployment, ReplicaSet, EndpointSlice, node lifecycle and node IPAM controllers, the
 * ServiceAccount token and root CA publishers) and kube-scheduler, on the control-plane node as
 * kind runs them. Processes, not static pods: the control-plane node's kubelet runs only what the
 * cluster schedules to it (the speaker).
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { inControlPlaneNode } from "../cluster/cluster.ts";
import { clusterFiles, SERVICE_CIDRS } from "../cluster/paths.ts";
import { livePid, startDaemon, stopDaemon } from "../cluster/process.ts";
import { nodeBinDir } from "./binaries.ts";
import { writeKubeconfigFor } from "./identities.ts";
import {
  CLUSTER_POD_CIDRS,
  CONTROL_PLANE_DIR,
  NODE_POD_CIDR_MASK_IPV4,
  NODE_POD_CIDR_MASK_IPV6,
} from "./paths.ts";

const PIDS = join(CONTROL_PLANE_DIR, "pids");
const LOGS = join(CONTROL_PLANE_DIR, "logs");

/**
 * How long a silent kubelet keeps its node Ready. Shorter than the default 50 s so the lab's
 * "node killed" step shows NotReady while a reader is still looking; the speakers' failover never
 * waits for it (memberlist notices in under a second).
 */
export const NODE_MONITOR_GRACE_PERIOD = "20s";

function controllerManagerArgv(bin: string, kubeconfigPath: string): string[] {
  return [
    join(bin, "kube-controller-manager"),
    `--kubeconfig=${kubeconfigPath}`,
    `--authentication-kubeconfig=${kubeconfigPath}`,
    `--authorization-kubeconfig=${kubeconfigPath}`,
    "--bind-address=127.0.0.1",
    "--leader-elect=false",
    "--use-service-account-credentials=true",
    "--allocate-node-cidrs=true",
    `--cluster-cidr=${CLUSTER_POD_CIDRS.join(",")}`,
    `--node-cidr-mask-size-ipv4=${NODE_POD_CIDR_MASK_IPV4}`,
    `--node-cidr-mask-size-ipv6=${NODE_POD_CIDR_MASK_IPV6}`,
    `--service-cluster-ip-range=${SERVICE_CIDRS.join(",")}`,
    `--root-ca-file=${clusterFiles.caCert}`,
    `--service-account-private-key-file=${clusterFiles.serviceAccountKey}`,
    `--cluster-signing-cert-file=${clusterFiles.caCert}`,
    `--cluster-signing-key-file=${clusterFiles.caKey}`,
    `--node-monitor-grace-period=${NODE_MONITOR_GRACE_PERIOD}`,
    "--profiling=false",
    "--v=1",
  ];
}

function schedulerArgv(bin: string, kubeconfigPath: string): string[] {
  return [
    join(bin, "kube-scheduler"),
    `--kubeconfig=${kubeconfigPath}`,
    `--authentication-kubeconfig=${kubeconfigPath}`,
    `--authorization-kubeconfig=${kubeconfigPath}`,
    "--bind-address=127.0.0.1",
    "--leader-elect=false",
    "--profiling=false",
    "--v=1",
  ];
}

/** Starts whichever of the two is not running (the apiserver must be up on the control-plane node). */
export async function ensureControllers(): Promise<void> {
  const bin = await nodeBinDir();
  mkdirSync(LOGS, { recursive: true });
  const kcmConfig = join(CONTROL_PLANE_DIR, "kube-controller-manager.kubeconfig");
  const schedulerConfig = join(CONTROL_PLANE_DIR, "kube-scheduler.kubeconfig");
  await writeKubeconfigFor({ kind: "kube-controller-manager" }, kcmConfig);
  await writeKubeconfigFor({ kind: "kube-scheduler" }, schedulerConfig);
  if (livePid(PIDS, "kube-controller-manager") === undefined) {
    startDaemon(
      PIDS,
      "kube-controller-manager",
      inControlPlaneNode(controllerManagerArgv(bin, kcmConfig)),
      join(LOGS, "kube-controller-manager.log"),
    );
  }
  if (livePid(PIDS, "kube-scheduler") === undefined) {
    startDaemon(
      PIDS,
      "kube-scheduler",
      inControlPlaneNode(schedulerArgv(bin, schedulerConfig)),
      join(LOGS, "kube-scheduler.log"),
    );
  }
}

export async function stopControllers(): Promise<void> {
  await stopDaemon(PIDS, "kube-scheduler", 5_000);
  await stopDaemon(PIDS, "kube-controller-manager", 5_000);
}

export function controllersRunning(): Record<string, boolean> {
  return {
    "kube-controller-manager": livePid(PIDS, "kube-controller-manager") !== undefined,
    "kube-scheduler": livePid(PIDS, "kube-scheduler") !== undefined,
  };
}
