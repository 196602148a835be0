/**
 * Certificates for the testbed apiserver, made with Debian's openssl: one CA signs the serving
 * certificate, the admin client certificate (group system:masters), the apiserver's client
 * certificate toward kubelets, and (e2e/nodes) the identities of the node components; a separate
 * RSA key pair signs ServiceAccount tokens. Generated once per cluster state directory.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CONTROL_PLANE_IP, clusterFiles, KUBERNETES_SERVICE_IP } from "./paths.ts";
import { run } from "./process.ts";

/** Every name and address a client may use to reach the apiserver: host loopback, the kubernetes ClusterIP, the node. */
const SERVING_SANS = [
  "DNS:localhost",
  "DNS:kubernetes",
  "DNS:kubernetes.default",
  "DNS:kubernetes.default.svc",
  "DNS:kubernetes.default.svc.cluster.local",
  "IP:127.0.0.1",
  "IP:::1",
  `IP:${KUBERNETES_SERVICE_IP}`,
  `IP:${CONTROL_PLANE_IP}`,
  "IP:fd00:10:96::1",
];

async function openssl(args: string[]): Promise<void> {
  await run(["openssl", ...args]);
}

const CLIENT_EXTENSIONS =
  "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n";

/**
 * A client certificate signed by the cluster CA (made once): `subject` carries the identity the
 * apiserver sees, CN the user and O the groups. Returns the certificate and key paths.
 */
export async function ensureClientCert(
  name: string,
  subject: string,
): Promise<{ cert: string; key: string }> {
  const cert = join(clusterFiles.pki, `${name}.crt`);
  const key = join(clusterFiles.pki, `${name}.key`);
  if (!(existsSync(cert) && existsSync(key))) await signedCert(name, subject, CLIENT_EXTENSIONS);
  return { cert, key };
}

async function signedCert(name: string, subject: string, extensions: string): Promise<void> {
  const key = join(clusterFiles.pki, `${name}.key`);
  const csr = join(clusterFiles.pki, `${name}.csr`);
  const ext = join(clusterFiles.pki, `${name}.ext`);
  writeFileSync(ext, extensions);
  await openssl(["genrsa", "-out", key, "2048"]);
  await openssl(["req", "-new", "-key", key, "-subj", subject, "-out", csr]);
  await openssl([
    "x509",
    "-req",
    "-in",
    csr,
    "-CA",
    clusterFiles.caCert,
    "-CAkey",
    clusterFiles.caKey,
    "-CAcreateserial",
    "-days",
    "3650",
    "-extfile",
    ext,
    "-out",
    join(clusterFiles.pki, `${name}.crt`),
  ]);
}

/** Creates the PKI unless a complete one is already there. */
export async function ensurePki(): Promise<void> {
  const wanted = [
    clusterFiles.caCert,
    clusterFiles.servingCert,
    clusterFiles.adminCert,
    clusterFiles.kubeletClientCert,
    clusterFiles.serviceAccountKey,
    clusterFiles.serviceAccountPub,
  ];
  if (wanted.every((f) => existsSync(f))) return;
  mkdirSync(clusterFiles.pki, { recursive: true });
  await openssl(["genrsa", "-out", clusterFiles.caKey, "2048"]);
  await openssl([
    "req",
    "-x509",
    "-new",
    "-key",
    clusterFiles.caKey,
    "-subj",
    "/CN=metalbun-testbed-ca",
    "-days",
    "3650",
    "-out",
    clusterFiles.caCert,
  ]);
  await signedCert(
    "apiserver",
    "/CN=kube-apiserver",
    `basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\nsubjectAltName=${SERVING_SANS.join(",")}\n`,
  );
  // system:masters is bound to cluster-admin by the apiserver's bootstrap RBAC policy.
  await signedCert("admin", "/O=system:masters/CN=kubernetes-admin", CLIENT_EXTENSIONS);
  // kubeadm's name for it; system:masters lets it reach every kubelet API (logs, exec).
  await signedCert(
    "apiserver-kubelet-client",
    "/O=system:masters/CN=kube-apiserver-kubelet-client",
    CLIENT_EXTENSIONS,
  );
  await openssl(["genrsa", "-out", clusterFiles.serviceAccountKey, "2048"]);
  await openssl([
    "rsa",
    "-in",
    clusterFiles.serviceAccountKey,
    "-pubout",
    "-out",
    clusterFiles.serviceAccountPub,
  ]);
}
