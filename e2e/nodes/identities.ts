/**
 * Who each component is to the apiserver: a client certificate per identity (the names the
 * apiserver's bootstrap RBAC and the Node authorizer expect), and a kubeconfig pointing at the
 * apiserver on the control-plane node.
 */
import { writeFileSync } from "node:fs";
import { APISERVER_PORT, CONTROL_PLANE_IP, clusterFiles } from "../cluster/paths.ts";
import { ensureClientCert } from "../cluster/pki.ts";
import { kubeconfig } from "./configs.ts";

/** Where the nodes' components reach the apiserver: the control-plane node's address. */
export const APISERVER_ON_NODE = `https://${CONTROL_PLANE_IP}:${APISERVER_PORT}`;

export type Identity =
  | { readonly kind: "kubelet"; readonly node: string }
  | { readonly kind: "kube-proxy" }
  | { readonly kind: "kube-controller-manager" }
  | { readonly kind: "kube-scheduler" };

function subjectOf(id: Identity): { name: string; subject: string; user: string } {
  switch (id.kind) {
    case "kubelet":
      // The Node authorizer and NodeRestriction admit exactly this form.
      return {
        name: `kubelet-${id.node}`,
        subject: `/O=system:nodes/CN=system:node:${id.node}`,
        user: `system:node:${id.node}`,
      };
    case "kube-proxy":
      return { name: "kube-proxy", subject: "/CN=system:kube-proxy", user: "system:kube-proxy" };
    case "kube-controller-manager":
      return {
        name: "kube-controller-manager",
        subject: "/CN=system:kube-controller-manager",
        user: "system:kube-controller-manager",
      };
    case "kube-scheduler":
      return { name: "kube-scheduler", subject: "/CN=system:kube-scheduler", user: "system:kube-scheduler" };
  }
}

/** Writes a kubeconfig for the identity at `path` (its certificate made once per cluster). */
export async function writeKubeconfigFor(id: Identity, path: string): Promise<void> {
  const { name, subject, user } = subjectOf(id);
  const { cert, key } = await ensureClientCert(name, subject);
  writeFileSync(
    path,
    kubeconfig({
      server: APISERVER_ON_NODE,
      caFile: clusterFiles.caCert,
      certFile: cert,
      keyFile: key,
      user,
    }),
    { mode: 0o600 },
  );
}
