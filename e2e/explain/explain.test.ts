/**
 * `kubectl metalbun explain` on the real testbed, as a user on a laptop runs it: kubectl finds the
 * `kubectl-metalbun` plugin on PATH, the kubeconfig's user is an exec credential plugin (a real
 * script printing a ServiceAccount token), and that identity has only the built-in `view` role
 * (which the bundle's metallb-system:explain aggregates into). A working seed cluster is broken
 * one way at a time, and the first line of the answer must name what was broken.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { chmod, mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { ensureCluster } from "../cluster/cluster.ts";
import { type ExplainAnswer, kubectlMetalbunExplain } from "../lab/explain-cli.ts";
import type { RunningOperator } from "../lab/operator.ts";
import { seededTestbedDown, seededTestbedUp } from "../lab/seeded-testbed.ts";
import { createService, ok, until } from "../speaker/helpers.ts";

const ROOT = join(import.meta.dir, "..", "..");
const SEED = join(ROOT, "e2e", "lab", "seed");
const WORKERS = ["myk8s-worker", "myk8s-worker2", "myk8s-worker3"];
const EXCLUDE = "node.kubernetes.io/exclude-from-external-load-balancers";

let op: RunningOperator | undefined;
let dir: string;
let kubeconfig: string;

type Answer = ExplainAnswer;

/** `kubectl metalbun explain ARGS` with the laptop's kubeconfig. */
const explain = (...args: string[]): Promise<Answer> => kubectlMetalbunExplain(args, kubeconfig);

/** Polls explain until `good` (the speakers react asynchronously). */
const explainUntil = (good: (a: Answer) => boolean, ...args: string[]) =>
  until(() => explain(...args), good, 20_000);

/** A ServiceAccount bound to `view` only (as aggregated), and a kubeconfig whose user is an exec plugin printing its token. */
async function laptopKubeconfig(): Promise<string> {
  const cluster = await ensureCluster();
  await ok(["create", "serviceaccount", "explainer", "-n", "default"]);
  // `view` as a real cluster's aggregation controller fills it (the testbed runs no
  // controller-manager, so `view` itself is empty here): its aggregated parts, the bundle's
  // metallb-system:explain among them.
  for (const role of ["view", "system:aggregate-to-view", "metallb-system:explain"]) {
    await ok([
      "create",
      "clusterrolebinding",
      `explainer-${role.replaceAll(":", "-")}`,
      `--clusterrole=${role}`,
      "--serviceaccount=default:explainer",
    ]);
  }
  const token = (await ok(["create", "token", "explainer", "-n", "default", "--duration=1h"])).trim();
  await writeFile(join(dir, "token"), token);
  const plugin = join(dir, "get-token.sh");
  await writeFile(
    plugin,
    `#!/bin/sh
# An exec credential plugin, as a cloud login would be: counts its runs, prints the token.
echo run >> "${dir}/runs"
cat <<JSON
{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"$(cat "${dir}/token")"}}
JSON
`,
  );
  await chmod(plugin, 0o755);
  const path = join(dir, "kubeconfig");
  await writeFile(
    path,
    stringify({
      apiVersion: "v1",
      kind: "Config",
      "current-context": "laptop",
      clusters: [
        { name: "testbed", cluster: { server: cluster.server, "certificate-authority": cluster.caFile } },
      ],
      users: [
        {
          name: "me",
          user: {
            exec: {
              apiVersion: "client.authentication.k8s.io/v1",
              command: plugin,
              interactiveMode: "Never",
            },
          },
        },
      ],
      contexts: [{ name: "laptop", context: { cluster: "testbed", user: "me", namespace: "default" } }],
    }),
  );
  return path;
}

beforeAll(async () => {
  op = await seededTestbedUp();
  dir = await mkdtemp(join(tmpdir(), "metalbun-explain-"));
  kubeconfig = await laptopKubeconfig();
}, 180_000);

afterAll(() => seededTestbedDown(op), 60_000);

test("a working cluster: announced as decided, exit 0, through an exec-plugin kubeconfig with only view", async () => {
  const ip = await createService("svc1", "Cluster", ["myk8s-worker", "myk8s-worker2"]);
  expect(ip).toBe("172.18.255.200");
  const answer = await explainUntil((a) => a.exitCode === 0, "svc/svc1");
  expect(answer.exitCode).toBe(0);
  expect(answer.firstLine).toMatch(
    /^default\/svc1: announced as decided: 172\.18\.255\.200 from pool my-ippool; layer2 from myk8s-worker\d? on /,
  );
  expect(answer.stdout).toContain("myk8s-control-plane");
  expect(answer.stdout).toContain(`labelled ${EXCLUDE}`);
  expect((await readFile(join(dir, "runs"), "utf8")).length).toBeGreaterThan(0);
  const json = JSON.parse((await explain("svc/svc1", "-o", "json")).stdout);
  expect(json.steps.map((s: { verdict: string }) => s.verdict)).toEqual(["ok", "ok", "ok", "ok", "ok", "ok"]);
  expect(json.readProblems).toEqual([]);
}, 60_000);

test("wrong loadBalancerClass: not ours", async () => {
  await ok(
    ["apply", "-f", "-"],
    JSON.stringify({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "other-class", namespace: "default" },
      spec: { type: "LoadBalancer", loadBalancerClass: "example.com/other", ports: [{ port: 80 }] },
    }),
  );
  const answer = await explain("svc/other-class");
  expect(answer.exitCode).toBe(1);
  expect(answer.firstLine).toStartWith(
    'default/other-class: not ours: loadBalancerClass is "example.com/other"',
  );
}, 30_000);

test("no advertisement selects the pool", async () => {
  await ok(["delete", "l2advertisement", "my-l2-advertise", "-n", "metallb-system"]);
  try {
    const answer = await explain("svc/svc1");
    expect(answer.exitCode).toBe(1);
    expect(answer.firstLine).toBe(
      "default/svc1: no L2Advertisement or BGPAdvertisement selects pool my-ippool: the IP is assigned but nobody announces it",
    );
  } finally {
    await ok(["apply", "-f", join(SEED, "l2advertisement.yaml")]);
  }
  expect((await explainUntil((a) => a.exitCode === 0, "svc/svc1")).exitCode).toBe(0);
}, 60_000);

test("every worker excluded: no node may announce it, and why", async () => {
  await ok(["label", "node", ...WORKERS, `${EXCLUDE}=`]);
  try {
    const answer = await explain("svc/svc1");
    expect(answer.exitCode).toBe(1);
    expect(answer.firstLine).toBe(
      `default/svc1: no node may announce it: myk8s-control-plane, ${WORKERS.join(", ")}: labelled ${EXCLUDE}`,
    );
  } finally {
    await ok(["label", "node", ...WORKERS, `${EXCLUDE}-`]);
  }
  expect((await explainUntil((a) => a.exitCode === 0, "svc/svc1")).exitCode).toBe(0);
}, 60_000);

test("pool full: the Service that gets no IP is told N of N, and the cluster summary counts it", async () => {
  const pool = (addresses: string[]) => JSON.stringify({ spec: { addresses } });
  await ok([
    "patch",
    "ipaddresspool",
    "my-ippool",
    "-n",
    "metallb-system",
    "--type=merge",
    "-p",
    pool(["172.18.255.200/32"]),
  ]);
  try {
    await createServiceWithoutWaiting("late");
    const answer = await explainUntil((a) => a.firstLine.includes("is full"), "svc/late");
    expect(answer.exitCode).toBe(1);
    expect(answer.firstLine).toBe(
      "default/late: pool my-ippool (1 of 1 IPv4 addresses used) is full: free an IP or add addresses to the pool",
    );
    const cluster = await explain();
    expect(cluster.exitCode).toBe(1);
    expect(cluster.firstLine).toContain("LoadBalancer Services not announced as decided");
    expect(cluster.stdout).toMatch(/my-ippool\s+true\s+1 of 1 IPv4 addresses used/);
  } finally {
    await ok([
      "patch",
      "ipaddresspool",
      "my-ippool",
      "-n",
      "metallb-system",
      "--type=merge",
      "-p",
      pool(["172.18.255.200-172.18.255.250"]),
    ]);
  }
}, 60_000);

async function createServiceWithoutWaiting(name: string): Promise<void> {
  await ok(
    ["apply", "-f", "-"],
    JSON.stringify({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name, namespace: "default" },
      spec: { type: "LoadBalancer", selector: { app: "webpod" }, ports: [{ port: 80, targetPort: 80 }] },
    }),
  );
}

test("speaker killed: the IP moves, and the first line names the node without a live speaker", async () => {
  const before = await explainUntil((a) => a.exitCode === 0, "svc/svc1");
  const owner = before.firstLine.match(/layer2 from (\S+) on /)?.[1];
  expect(owner).toBeDefined();
  await op!.speakers.get(owner!)!.stop("SIGKILL", 0);
  const after = await explainUntil(
    (a) => a.exitCode === 0 && a.firstLine.includes("no live speaker"),
    "svc/svc1",
  );
  expect(after.exitCode).toBe(0);
  expect(after.firstLine).toMatch(
    new RegExp(
      `^default/svc1: announced as decided: 172\\.18\\.255\\.200 from pool my-ippool; layer2 from (?!${owner} )\\S+ on every eligible interface; no live speaker on ${owner}$`,
    ),
  );
  expect(after.stdout).toMatch(new RegExp(`${owner}\\s+notAlive\\s+no running speaker`));
}, 60_000);

test("externalTrafficPolicy Local with its only endpoint on an excluded node: no node may announce it", async () => {
  await createService("local", "Local", ["myk8s-control-plane"]);
  const answer = await explain("svc/local");
  expect(answer.exitCode).toBe(1);
  expect(answer.firstLine).toStartWith("default/local: no node may announce it: ");
  expect(answer.firstLine).toContain(`myk8s-control-plane: labelled ${EXCLUDE}`);
  expect(answer.firstLine).toContain("externalTrafficPolicy Local and no ready endpoint here");
}, 30_000);

test("sharing conflict: the second Service is told which Service holds the port", async () => {
  const shared = (name: string) =>
    JSON.stringify({
      apiVersion: "v1",
      kind: "Service",
      metadata: {
        name,
        namespace: "default",
        annotations: { "metallb.io/allow-shared-ip": "team", "metallb.io/loadBalancerIPs": "172.18.255.240" },
      },
      spec: { type: "LoadBalancer", selector: { app: "webpod" }, ports: [{ port: 80, targetPort: 80 }] },
    });
  await ok(["apply", "-f", "-"], shared("share-a"));
  await until(
    async () =>
      (await ok(["get", "svc", "share-a", "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}"])).trim(),
    (ip) => ip === "172.18.255.240",
    20_000,
  );
  await ok(["apply", "-f", "-"], shared("share-b"));
  const answer = await explain("svc/share-b");
  expect(answer.exitCode).toBe(1);
  expect(answer.firstLine).toBe(
    "default/share-b: sharing IP 172.18.255.240 conflicts with Service default/share-a on port TCP/80",
  );
}, 30_000);

test("an invalid configuration: the first line names the offending object", async () => {
  const overlap = {
    apiVersion: "metallb.io/v1beta1",
    kind: "IPAddressPool",
    metadata: { name: "overlap", namespace: "metallb-system" },
    spec: { addresses: ["172.18.255.210/32"] },
  };
  await ok(["apply", "-f", "-"], JSON.stringify(overlap));
  try {
    const answer = await explain("svc/svc1");
    expect(answer.exitCode).toBe(1);
    expect(answer.firstLine).toStartWith("default/svc1: the configuration is invalid: IPAddressPool ");
    expect(answer.firstLine).toContain("overlap");
  } finally {
    await ok(["delete", "ipaddresspool", "overlap", "-n", "metallb-system"]);
  }
}, 30_000);

test("an L2Advertisement naming an interface the nodes lack: elected, but nobody hears it", async () => {
  await ok(
    ["apply", "-f", "-"],
    JSON.stringify({
      apiVersion: "metallb.io/v1beta1",
      kind: "L2Advertisement",
      metadata: { name: "my-l2-advertise", namespace: "metallb-system" },
      spec: { ipAddressPools: ["my-ippool"], interfaces: ["eth9"] },
    }),
  );
  try {
    const answer = await explainUntil((a) => a.firstLine.includes("nobody hears it"), "svc/svc1");
    expect(answer.exitCode).toBe(1);
    expect(answer.firstLine).toMatch(
      /^default\/svc1: myk8s-worker\d? is elected but answers on none of the interfaces its L2Advertisements name \(eth9\): nobody hears it$/,
    );
  } finally {
    await ok(["apply", "-f", join(SEED, "l2advertisement.yaml")]);
  }
}, 60_000);
