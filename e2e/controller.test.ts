/**
 * `metalbun controller` on the real apiserver, run "as a pod" with the bundle's ServiceAccount and
 * RBAC: the seed's Services get IPs with MetalLB's Events, the annotations and sharing rules work,
 * IPs are freed and cleared as MetalLB does, a restart moves no IP, and an invalid configuration is
 * reported while the last good one keeps serving.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { type ClusterHandle, ensureCluster, kubectl } from "./cluster/harness.ts";
import { execIn } from "./net/exec.ts";
import { netDown, netDownOnSignals, netUp } from "./net/testbed.ts";
import { type PodHandle, runAsPod } from "./pod/as-pod.ts";

const ROOT = join(import.meta.dir, "..");
const MAIN = join(ROOT, "operator", "src", "main.ts");
const NODE = "myk8s-control-plane";
const HEALTH = 17473;
const METRICS = 9121;
/** Each run uses its own namespaces and pools, so reruns on a warm cluster never see old objects. */
const RUN = Date.now().toString(36);
const NS = `ctl-${RUN}`;

let cluster: ClusterHandle;
let controller: PodHandle | undefined;

async function ok(args: string[], stdin?: string): Promise<string> {
  const r = await kubectl(args, stdin === undefined ? {} : { stdin });
  if (r.exitCode !== 0) throw new Error(`kubectl ${args.join(" ")}: ${r.stderr.trim()}`);
  return r.stdout;
}

const apply = (obj: object) => ok(["apply", "-f", "-"], JSON.stringify(obj));

function pool(name: string, addresses: string[], extra: Record<string, unknown> = {}) {
  return {
    apiVersion: "metallb.io/v1beta1",
    kind: "IPAddressPool",
    metadata: { name, namespace: "metallb-system" },
    spec: { addresses, ...extra },
  };
}

interface SvcOpts {
  annotations?: Record<string, string>;
  ports?: number[];
  type?: string;
  lbClass?: string;
  loadBalancerIP?: string;
  policy?: string;
  families?: string[];
  namespace?: string;
  etp?: "Cluster" | "Local";
  selector?: Record<string, string>;
}

function service(name: string, o: SvcOpts = {}) {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: o.namespace ?? NS, annotations: o.annotations ?? {} },
    spec: {
      type: o.type ?? "LoadBalancer",
      selector: o.selector ?? { app: "webpod" },
      ...(o.etp && { externalTrafficPolicy: o.etp }),
      ports: (o.ports ?? [80]).map((port) => ({ name: `p${port}`, port, targetPort: port })),
      ...(o.lbClass && { loadBalancerClass: o.lbClass }),
      ...(o.loadBalancerIP && { loadBalancerIP: o.loadBalancerIP }),
      ...(o.policy && { ipFamilyPolicy: o.policy }),
      ...(o.families && { ipFamilies: o.families }),
    },
  };
}

async function ingress(name: string, namespace = NS): Promise<string[]> {
  const out = await ok([
    "get",
    "svc",
    name,
    "-n",
    namespace,
    "-o",
    "jsonpath={.status.loadBalancer.ingress[*].ip}",
  ]);
  return out.trim() === "" ? [] : out.trim().split(" ");
}

/** Polls until `check` holds (the controller is asynchronous); returns the last value. */
async function eventually<T>(
  read: () => Promise<T>,
  check: (v: T) => boolean,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!check(value) && Date.now() < deadline) {
    await Bun.sleep(100);
    value = await read();
  }
  return value;
}

const ipsOf = (name: string, namespace = NS) => ingress(name, namespace);
const equals = (want: string[]) => (v: string[]) => JSON.stringify(v) === JSON.stringify(want);

async function eventsOf(name: string, namespace = NS): Promise<string> {
  return ok([
    "get",
    "events",
    "-n",
    namespace,
    "--field-selector",
    `involvedObject.name=${name}`,
    "-o",
    'jsonpath={range .items[*]}{.type} {.reason} {.message}{"\\n"}{end}',
  ]);
}

async function startControllerPod(): Promise<PodHandle> {
  const pod = await runAsPod({
    node: NODE,
    serviceAccount: "controller",
    namespace: "metallb-system",
    name: `controller-${RUN}`,
    argv: [
      "bun",
      MAIN,
      "controller",
      `--health-probe-port=${HEALTH}`,
      `--port=${METRICS}`,
      "--log-level=debug",
    ],
    env: { METALLB_ML_SECRET_NAME: "memberlist", METALLB_DEPLOYMENT: "controller" },
  });
  const ready = await eventually(
    async () => (await execIn(NODE, ["curl", "-s", "-m", "1", `http://127.0.0.1:${HEALTH}/readyz`])).stdout,
    (v) => v === "ok\n",
    30_000,
  );
  if (ready !== "ok\n") throw new Error(`controller not ready: ${ready}\n${pod.stdout()}\n${pod.stderr()}`);
  return pod;
}

async function metrics(): Promise<string> {
  return (await execIn(NODE, ["curl", "-s", "-m", "2", `http://127.0.0.1:${METRICS}/metrics`])).stdout;
}

beforeAll(async () => {
  cluster = await ensureCluster();
  netDownOnSignals();
  await netUp({ apiserverUnixSocket: cluster.apiserverUnixSocket });
  await ok(["apply", "--server-side", "--force-conflicts", "-f", join(ROOT, "deploy", "metalbun.yaml")]);
  await ok(["wait", "--for=condition=Established", "--timeout=60s", "-f", join(ROOT, "crds")]);
  await ok(["create", "namespace", NS]);
  // A clean slate on a warm cluster: with no pool at all the controller clears every Service
  // (MetalLB's "removes all pools"), so earlier runs' Services give their addresses back.
  await ok(["delete", "ipaddresspools", "--all", "-n", "metallb-system"]);
  controller = await startControllerPod();
  const held = await eventually(
    () => ok(["get", "svc", "-A", "-o", "jsonpath={.items[*].status.loadBalancer.ingress[*].ip}"]),
    (v) => v.trim() === "",
    30_000,
  );
  if (held.trim() !== "") throw new Error(`Services still hold IPs with no pool: ${held}`);
  // Restricted to this run's namespace: Services other tests (or earlier runs) left in other
  // namespaces can never take these addresses, so the expected IPs are exact.
  await apply(
    pool(`seed-${RUN}`, ["172.18.255.200-172.18.255.250"], { serviceAllocation: { namespaces: [NS] } }),
  );
}, 120_000);

afterAll(async () => {
  if (controller) await controller.stop("SIGTERM");
  await kubectl(["delete", "svc", "--all", "-n", NS, "--wait=false"]);
  await kubectl(["delete", "ipaddresspools", "--all", "-n", "metallb-system"]);
  await netDown();
});

describe("controller on the real apiserver, as a pod with the bundle's RBAC", () => {
  test("the seed: svc1..svc3 get External IPs from the pool, with IPAllocated events", async () => {
    for (const name of ["svc1", "svc2", "svc3"]) await apply(service(name));
    expect(await eventually(() => ipsOf("svc1"), equals(["172.18.255.200"]))).toEqual(["172.18.255.200"]);
    expect(await eventually(() => ipsOf("svc2"), equals(["172.18.255.201"]))).toEqual(["172.18.255.201"]);
    expect(await eventually(() => ipsOf("svc3"), equals(["172.18.255.202"]))).toEqual(["172.18.255.202"]);
    const annotations = await ok(["get", "svc", "svc1", "-n", NS, "-o", "jsonpath={.metadata.annotations}"]);
    expect(JSON.parse(annotations)["metallb.io/ip-allocated-from-pool"]).toBe(`seed-${RUN}`);
    const described = await eventually(
      () => ok(["describe", "svc", "svc1", "-n", NS]),
      (v) => v.includes("IPAllocated"),
    );
    expect(described).toMatch(
      /Normal\s+IPAllocated\s+.*metallb-controller\s+Assigned IP \["172\.18\.255\.200"\]/,
    );
  });

  test("the pool's status counts what is assigned", async () => {
    const status = await eventually(
      async () =>
        JSON.parse(
          (await ok([
            "get",
            "ipaddresspool",
            `seed-${RUN}`,
            "-n",
            "metallb-system",
            "-o",
            "jsonpath={.status}",
          ])) || "{}",
        ),
      (s: Record<string, number>) => s.assignedIPv4 === 3,
    );
    expect(status).toEqual({ assignedIPv4: 3, assignedIPv6: 0, availableIPv4: 48, availableIPv6: 0 });
  });

  test("assignments first: a Service's IPAllocated Event is written after its IP", async () => {
    await apply(service("ordered"));
    await eventually(
      () => ipsOf("ordered"),
      (ips) => ips.length === 1,
    );
    const eventVersion = await eventually(
      () =>
        ok([
          "get",
          "events",
          "-n",
          NS,
          "--field-selector",
          "involvedObject.name=ordered,reason=IPAllocated",
          "-o",
          "jsonpath={.items[0].metadata.resourceVersion}",
        ]),
      (v) => v !== "",
    );
    // The status write is the last write to this Service. resourceVersions are opaque to clients,
    // but this testbed's are etcd revisions, one counter for every object: their order is the
    // order the writes were committed in.
    const serviceVersion = await ok([
      "get",
      "svc",
      "ordered",
      "-n",
      NS,
      "-o",
      "jsonpath={.metadata.resourceVersion}",
    ]);
    expect(Number(eventVersion)).toBeGreaterThan(Number(serviceVersion));
  });

  test("requested IPs: annotation, spec.loadBalancerIP, both at once is refused", async () => {
    await apply(service("wants-240", { annotations: { "metallb.io/loadBalancerIPs": "172.18.255.240" } }));
    await apply(service("legacy-241", { loadBalancerIP: "172.18.255.241" }));
    await apply(
      service("both", {
        annotations: { "metallb.io/loadBalancerIPs": "172.18.255.242" },
        loadBalancerIP: "172.18.255.243",
      }),
    );
    expect(await eventually(() => ipsOf("wants-240"), equals(["172.18.255.240"]))).toEqual([
      "172.18.255.240",
    ]);
    expect(await eventually(() => ipsOf("legacy-241"), equals(["172.18.255.241"]))).toEqual([
      "172.18.255.241",
    ]);
    const events = await eventually(
      () => eventsOf("both"),
      (v) => v.includes("AllocationFailed") || v.includes("LoadBalancerFailed"),
    );
    expect(events).toContain("service can not have both");
    expect(await ipsOf("both")).toEqual([]);
  });

  test("a requested IP outside every pool fails with MetalLB's message; other Services keep theirs", async () => {
    await apply(service("outside", { annotations: { "metallb.io/loadBalancerIPs": "10.99.0.1" } }));
    const events = await eventually(
      () => eventsOf("outside"),
      (v) => v.includes("AllocationFailed"),
    );
    expect(events).toMatch(/Warning AllocationFailed Failed to allocate IP for "ctl-[a-z0-9]+\/outside": /);
    expect(await ipsOf("svc1")).toEqual(["172.18.255.200"]);
  });

  test("sharing: same key and disjoint ports share an IP; an overlapping port is refused", async () => {
    const share = { "metallb.io/allow-shared-ip": "web", "metallb.io/loadBalancerIPs": "172.18.255.230" };
    await apply(service("share-a", { annotations: share, ports: [80] }));
    await apply(service("share-b", { annotations: share, ports: [443] }));
    await apply(service("share-c", { annotations: share, ports: [80] }));
    expect(await eventually(() => ipsOf("share-a"), equals(["172.18.255.230"]))).toEqual(["172.18.255.230"]);
    expect(await eventually(() => ipsOf("share-b"), equals(["172.18.255.230"]))).toEqual(["172.18.255.230"]);
    const events = await eventually(
      () => eventsOf("share-c"),
      (v) => v.includes("AllocationFailed"),
    );
    expect(events).toContain('port TCP/80 is already in use on "172.18.255.230"');
  });

  test("sharing broken by an edit: the edited Service loses the IP, the untouched one keeps it (both orders)", async () => {
    // ETP Local Services share only with identical selectors (MetalLB BackendKey). In pair 1 the
    // Service that sorts first by name is edited, in pair 2 the one that sorts last.
    const pairs = [
      { ip: "172.18.255.231", names: ["edit1-a", "edit1-b"], edited: "edit1-a", untouched: "edit1-b" },
      { ip: "172.18.255.232", names: ["edit2-a", "edit2-b"], edited: "edit2-b", untouched: "edit2-a" },
    ];
    const sharer = (name: string, ip: string, port: number, app: string) =>
      service(name, {
        annotations: { "metallb.io/allow-shared-ip": "local", "metallb.io/loadBalancerIPs": ip },
        ports: [port],
        etp: "Local",
        selector: { app },
      });
    for (const p of pairs) {
      await apply(sharer(p.names[0]!, p.ip, 80, "web"));
      await apply(sharer(p.names[1]!, p.ip, 443, "web"));
    }
    for (const p of pairs)
      for (const name of p.names) expect(await eventually(() => ipsOf(name), equals([p.ip]))).toEqual([p.ip]);

    for (const p of pairs) {
      await apply(sharer(p.edited, p.ip, p.edited === p.names[0] ? 80 : 443, "other"));
    }
    for (const p of pairs) {
      const events = await eventually(
        () => eventsOf(p.edited),
        (v) => v.includes("ClearAssignment"),
      );
      expect(events).toContain(
        `Normal ClearAssignment current IP for "${NS}/${p.edited}" not allowed by config, will attempt for new IP assignment: `,
      );
      expect(events).toContain(`address also in use by ${NS}/${p.untouched}`);
      expect(await eventually(() => ipsOf(p.edited), equals([]))).toEqual([]);
    }
    // Some reconciles later, nothing moved back: the untouched ones hold the IP, never cleared.
    await Bun.sleep(1000);
    for (const p of pairs) {
      expect(await ipsOf(p.untouched)).toEqual([p.ip]);
      expect(await ipsOf(p.edited)).toEqual([]);
      expect(await eventsOf(p.untouched)).not.toContain("ClearAssignment");
    }
  }, 60_000);

  test("address-pool annotation picks the pool, even with autoAssign false", async () => {
    await apply(pool(`manual-${RUN}`, ["172.18.254.0/30"], { autoAssign: false }));
    await apply(service("picky", { annotations: { "metallb.io/address-pool": `manual-${RUN}` } }));
    expect(await eventually(() => ipsOf("picky"), equals(["172.18.254.0"]))).toEqual(["172.18.254.0"]);
  });

  test("loadBalancerClass: another class is left alone", async () => {
    await apply(service("foreign", { lbClass: "example.com/other" }));
    await Bun.sleep(1000);
    expect(await ipsOf("foreign")).toEqual([]);
  });

  test("changing the type away from LoadBalancer clears the status; deleting frees the IP for others", async () => {
    await apply(service("short-lived"));
    const held = await eventually(
      () => ipsOf("short-lived"),
      (v) => v.length === 1,
    );
    expect(held).toHaveLength(1);
    await ok([
      "patch",
      "svc",
      "short-lived",
      "-n",
      NS,
      "--type=merge",
      "-p",
      '{"spec":{"type":"ClusterIP"}}',
    ]);
    expect(await eventually(() => ipsOf("short-lived"), equals([]))).toEqual([]);
    await ok(["delete", "svc", "short-lived", "-n", NS]);
    await apply(service("next-one"));
    expect(await eventually(() => ipsOf("next-one"), equals(held))).toEqual(held);
  });

  test("dual-stack: RequireDualStack gets one IP of each family from a dual pool", async () => {
    await apply(pool(`dual-${RUN}`, ["172.18.253.0/30", "fc00:f853:ccd:e799::/126"], { autoAssign: false }));
    await apply(
      service("dual", {
        policy: "RequireDualStack",
        families: ["IPv4", "IPv6"],
        annotations: { "metallb.io/address-pool": `dual-${RUN}` },
      }),
    );
    expect(
      await eventually(
        () => ipsOf("dual"),
        (v) => v.length === 2,
      ),
    ).toEqual(["172.18.253.0", "fc00:f853:ccd:e799::"]);
  });

  test("an invalid configuration is reported, and the last good one keeps serving", async () => {
    // Overlaps the seed pool: the CRD cannot see other objects, so the controller must catch it.
    await apply(pool(`overlap-${RUN}`, ["172.18.255.0/24"]));
    const state = await eventually(
      async () =>
        JSON.parse(
          (await ok([
            "get",
            "configurationstate",
            "controller",
            "-n",
            "metallb-system",
            "-o",
            "jsonpath={.status}",
          ])) || "{}",
        ),
      (s: { result?: string; errorSummary?: string; conditions?: object[] }) => s.result === "Invalid",
    );
    expect(state.errorSummary).toContain("overlaps");
    expect(state.conditions?.[0]).toMatchObject({
      type: "configReconcilerValid",
      status: "False",
      reason: "ConfigurationError",
    });
    expect(await eventually(metrics, (m) => m.includes("metallb_k8s_client_config_stale_bool 1"))).toContain(
      "metallb_k8s_client_config_stale_bool 1",
    );
    const poolEvents = await eventually(
      () => ok(["get", "events", "-n", "metallb-system", "--field-selector", "reason=ConfigurationError"]),
      (v) => v.includes(`overlap-${RUN}`),
    );
    // Blamed on whichever of the two pools comes later by name; the message names both.
    expect(poolEvents).toMatch(
      new RegExp(`Warning\\s+ConfigurationError\\s+ipaddresspool/seed-${RUN}\\s+.*overlaps.*overlap-${RUN}`),
    );
    // Still serving: a new Service gets an IP from the last good configuration.
    await apply(service("during-bad-config"));
    expect(
      await eventually(
        () => ipsOf("during-bad-config"),
        (v) => v.length === 1,
      ),
    ).toHaveLength(1);
    await ok(["delete", "ipaddresspool", `overlap-${RUN}`, "-n", "metallb-system"]);
    expect(await eventually(metrics, (m) => m.includes("metallb_k8s_client_config_stale_bool 0"))).toContain(
      "metallb_k8s_client_config_stale_bool 0",
    );
  });

  test("a restart moves no IP", async () => {
    const names = ["svc1", "svc2", "svc3", "wants-240", "share-a", "share-b", "dual", "next-one"];
    const before = await Promise.all(names.map((n) => ipsOf(n)));
    await controller!.stop("SIGTERM");
    controller = await startControllerPod();
    await Bun.sleep(1500);
    expect(await Promise.all(names.map((n) => ipsOf(n)))).toEqual(before);
  });

  test("deleting every pool clears every Service", async () => {
    await ok(["delete", "ipaddresspools", "--all", "-n", "metallb-system"]);
    expect(await eventually(() => ipsOf("svc1"), equals([]))).toEqual([]);
    expect(await ipsOf("dual")).toEqual([]);
  });
});
