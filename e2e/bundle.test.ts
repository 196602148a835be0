/**
 * The deploy bundle on the real apiserver: it applies (server-side) and re-applies without change,
 * the seed's pool and advertisement list as in the seed note, its RBAC allows what metalbun needs and
 * refuses the rest, and `metalbun controller` / `metalbun speaker` run "as pods" with the bundle's
 * ServiceAccounts and become ready through in-cluster configuration.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { type ClusterHandle, ensureCluster, kubectl } from "./cluster/harness.ts";
import { execIn } from "./net/exec.ts";
import { netDown, netDownOnSignals, netUp } from "./net/testbed.ts";
import { runAsPod } from "./pod/as-pod.ts";

const ROOT = join(import.meta.dir, "..");
const BUNDLE = join(ROOT, "deploy", "metalbun.yaml");
const MAIN = join(ROOT, "operator", "src", "main.ts");
const PROBE = join(import.meta.dir, "pod", "fixtures", "in-cluster-probe.ts");

const SEED_POOL = `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata:
  name: my-ippool
  namespace: metallb-system
spec:
  addresses:
  - 172.18.255.200-172.18.255.250
`;
const SEED_L2 = `apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata:
  name: my-l2-advertise
  namespace: metallb-system
spec:
  ipAddressPools:
  - my-ippool
`;

let cluster: ClusterHandle;

async function ok(args: string[], stdin?: string): Promise<string> {
  const r = await kubectl(args, stdin === undefined ? {} : { stdin });
  if (r.exitCode !== 0) throw new Error(`kubectl ${args.join(" ")} failed: ${r.stderr.trim()}`);
  return r.stdout;
}

/** name -> resourceVersion of every object the bundle creates, to prove a re-apply changes nothing. */
async function bundleVersions(): Promise<Record<string, string>> {
  const out = await ok([
    "get",
    "-f",
    BUNDLE,
    "-o",
    'jsonpath={range .items[*]}{.kind}/{.metadata.name}={.metadata.resourceVersion}{"\\n"}{end}',
  ]);
  return Object.fromEntries(
    out
      .trim()
      .split("\n")
      .map((l) => l.split("=") as [string, string]),
  );
}

beforeAll(async () => {
  cluster = await ensureCluster();
  netDownOnSignals();
});

afterAll(async () => {
  await netDown();
});

describe("deploy/metalbun.yaml on the real apiserver", () => {
  test("applies server-side, and a second apply changes nothing", async () => {
    await ok(["apply", "--server-side", "-f", BUNDLE]);
    await ok(["wait", "--for=condition=Established", "--timeout=60s", "crd", "-l", "app=metallb"]).catch(
      async () => {
        // CRDs may carry no labels: wait on each by name instead.
        await ok(["wait", "--for=condition=Established", "--timeout=60s", "-f", join(ROOT, "crds")]);
      },
    );
    const before = await bundleVersions();
    expect(Object.keys(before).length).toBeGreaterThanOrEqual(20);
    const again = await ok(["apply", "--server-side", "-f", BUNDLE]);
    expect(again).toContain("serverside-applied");
    expect(await bundleVersions()).toEqual(before);
  });

  test("the seed's pool and L2Advertisement apply verbatim and list as in the seed note", async () => {
    await ok(["apply", "-f", "-"], SEED_POOL);
    await ok(["apply", "-f", "-"], SEED_L2);
    const pools = await ok(["get", "ipaddresspools", "-n", "metallb-system"]);
    expect(pools).toMatch(/^NAME\s+AUTO ASSIGN\s+AVOID BUGGY IPS\s+ADDRESSES/m);
    expect(pools).toMatch(/^my-ippool\s+true\s+false\s+\["172\.18\.255\.200-172\.18\.255\.250"\]/m);
    const ads = await ok(["get", "l2advertisements", "-n", "metallb-system"]);
    expect(ads).toMatch(/^NAME\s+IPADDRESSPOOLS\s+IPADDRESSPOOL SELECTORS\s+INTERFACES/m);
    expect(ads).toMatch(/^my-l2-advertise\s+\["my-ippool"\]/m);
  });

  const SPEAKER = "system:serviceaccount:metallb-system:speaker";
  const CONTROLLER = "system:serviceaccount:metallb-system:controller";
  test.each([
    [SPEAKER, "list nodes", true],
    [SPEAKER, "watch endpointslices.discovery.k8s.io -A", true],
    [SPEAKER, "create servicel2statuses.metallb.io -n metallb-system", true],
    [SPEAKER, "get configmaps/metallb-excludel2 -n metallb-system", true],
    [SPEAKER, "create events -n default", true],
    [SPEAKER, "update services --subresource=status -n default", false],
    [SPEAKER, "list secrets -n kube-system", false],
    [SPEAKER, "delete nodes", false],
    [SPEAKER, "create ipaddresspools.metallb.io -n metallb-system", false],
    [CONTROLLER, "update services --subresource=status -n default", true],
    [CONTROLLER, "watch services -A", true],
    [CONTROLLER, "watch ipaddresspools.metallb.io -n metallb-system", true],
    [CONTROLLER, "update ipaddresspools.metallb.io --subresource=status -n metallb-system", true],
    [CONTROLLER, "create secrets -n metallb-system", true],
    [CONTROLLER, "get secrets/memberlist -n metallb-system", true],
    [CONTROLLER, "get secrets/other -n metallb-system", false],
    [CONTROLLER, "list secrets -n kube-system", false],
    [CONTROLLER, "list nodes", false],
    [CONTROLLER, "create servicel2statuses.metallb.io -n metallb-system", false],
  ])("RBAC: %s may %s: %p", async (user, what, allowed) => {
    const r = await kubectl(["auth", "can-i", ...what.split(" "), `--as=${user}`]);
    expect(r.stdout.trim()).toBe(allowed ? "yes" : "no");
  });
});

describe("metalbun as pods with the bundle's ServiceAccounts", () => {
  test("the speaker SA gets 403 for what its role does not allow, from a node namespace", async () => {
    await netUp({ apiserverUnixSocket: cluster.apiserverUnixSocket });
    const pod = runAsPod({
      node: "myk8s-worker",
      serviceAccount: "speaker",
      namespace: "metallb-system",
      argv: ["bun", PROBE, "/api/v1/nodes", "/api/v1/namespaces/kube-system/secrets"],
    });
    const handle = await pod;
    expect(await handle.exited).toBe(0);
    const findings = handle
      .stdout()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const byPath = Object.fromEntries(findings.filter((f) => f.kind === "request").map((f) => [f.path, f]));
    expect(byPath["/api/v1/nodes"]).toMatchObject({ status: 200 });
    expect(byPath["/api/v1/namespaces/kube-system/secrets"]).toMatchObject({ status: 403 });
    expect(
      String((byPath["/api/v1/namespaces/kube-system/secrets"] as { message?: string }).message),
    ).toContain("system:serviceaccount:metallb-system:speaker");
  });

  test.each([
    ["speaker", "myk8s-worker", ["speaker", "--log-level=debug"], { METALLB_NODE_NAME: "myk8s-worker" }],
    ["controller", "myk8s-control-plane", ["controller", "--log-level=debug"], {}],
  ] as const)(
    "metalbun %s runs in %s with in-cluster config and becomes ready",
    async (sa, node, args, env) => {
      await netUp({ apiserverUnixSocket: cluster.apiserverUnixSocket });
      const pod = await runAsPod({
        node,
        serviceAccount: sa,
        namespace: "metallb-system",
        argv: ["bun", MAIN, ...args],
        env: { ...env },
      });
      try {
        let ready = "";
        const deadline = Date.now() + 20_000;
        while (Date.now() < deadline) {
          const r = await execIn(node, ["curl", "-s", "-m", "1", "http://127.0.0.1:17472/readyz"]);
          ready = r.stdout;
          if (ready === "ok\n") break;
          await Bun.sleep(200);
        }
        expect(ready).toBe("ok\n");
        expect(pod.stdout()).toContain('"source":"in-cluster"');
        expect(pod.stdout()).toContain('"server":"https://10.96.0.1:443"');
        // Both prove they read the API by reconciling a full first view.
        expect(pod.stdout()).toContain("configuration valid");
      } finally {
        const code = await pod.stop("SIGTERM");
        // A stop that overran its grace: the process's last lines say which step held it.
        if (code !== 0) console.error(pod.stdout().split("\n").slice(-25).join("\n"));
        expect(code).toBe(0);
      }
      expect(pod.stdout()).toContain('"signal":"SIGTERM"');
    },
  );
});
