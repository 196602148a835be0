/**
 * BGP mode end to end against FRR, on real nodes: every speaker pod peers with the router over
 * eBGP, every eligible node announces a Service's IP (no election), the router installs one ECMP
 * route with a next hop per node, and mypc's requests to the IP enter through several nodes. A
 * speaker killed hard leaves at once (its kernel closes the TCP session) and the kubelet restarts
 * it; a frozen one leaves when the 3 s hold time expires; a deleted pod's speaker withdraws first,
 * so no request fails. The Events, ServiceBGPStatus objects and metrics say what MetalLB's would.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { execIn } from "../net/exec.ts";
import { LOG_DIR } from "../net/procs.ts";
import { NODES, nodeNamed, ROUTER, WORKERS } from "../net/topology.ts";
import {
  deleteSpeakerPod,
  runningSpeaker,
  signalSpeaker,
  speakerBack,
  stillRunning,
} from "../nodes/speaker-pods.ts";
import { frrNeighbors } from "../peers/frr-query.ts";
import { waitFor } from "../peers/wait.ts";
import {
  aBgpAdvertisement,
  aBgpPeer,
  apply,
  type BgpTestbed,
  bgpTestbedDown,
  bgpTestbedUp,
  curlFromClient,
  kernelNextHops,
  NAMESPACE,
  ok,
  ribNextHops,
  servedThrough,
} from "./support.ts";

let bed: BgpTestbed | undefined;
const workerIPs = WORKERS.map((n) => n.ipv4).sort();

/** A webpod pinned to `node` with the label `app`, Ready (the EndpointSlice controller lists it). */
async function pinnedWebpod(app: string, node: string): Promise<void> {
  const name = `${app}-${node}`;
  await apply({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: "default", labels: { app } },
    spec: {
      nodeName: node,
      terminationGracePeriodSeconds: 0,
      containers: [
        {
          name: "webpod",
          image: "metalbun-testbed/webpod:1",
          imagePullPolicy: "Never",
          ports: [{ containerPort: 80 }],
          readinessProbe: { httpGet: { path: "/", port: 80 }, periodSeconds: 1 },
        },
      ],
    },
  });
  await ok(["wait", "--for=condition=Ready", `pod/${name}`, "--timeout=60s"]);
}

async function createService(name: string, etp: "Cluster" | "Local", app = "webpod"): Promise<string> {
  await apply({
    apiVersion: "v1",
    kind: "Service",
    metadata: { name, namespace: "default" },
    spec: {
      type: "LoadBalancer",
      externalTrafficPolicy: etp,
      selector: { app },
      ports: [{ port: 80, targetPort: 80 }],
    },
  });
  return waitFor(
    async () =>
      (await ok(["get", "svc", name, "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}"])).trim() ||
      undefined,
    { what: `an IP for ${name}` },
  );
}

beforeAll(async () => {
  bed = await bgpTestbedUp();
  await apply(aBgpPeer("router", {}), aBgpAdvertisement("bgp-adv"));
}, 900_000);

afterAll(() => bgpTestbedDown(bed), 120_000);

test("every speaker establishes its session with FRR (eBGP, hold 3 s)", async () => {
  const neighbors = await waitFor(
    async () => {
      const n = await frrNeighbors(ROUTER.name);
      return NODES.every((node) => n.get(node.ipv4)?.state === "Established") ? n : undefined;
    },
    {
      what: "every node Established",
      timeoutMs: 30_000,
      describe: async () => JSON.stringify([...(await frrNeighbors(ROUTER.name))]),
    },
  );
  for (const node of NODES) {
    expect(neighbors.get(node.ipv4)?.remoteAs).toBe(64512);
    expect(neighbors.get(node.ipv4)?.holdTimeMs).toBe(3000);
  }
}, 60_000);

test("a Cluster Service is announced by every eligible node: one ECMP route, requests land on several nodes", async () => {
  const ip = await createService("svc1", "Cluster");
  const prefix = `${ip}/32`;
  // The control plane carries the exclude-from-external-load-balancers label (the seed's kind cluster).
  expect(
    await waitFor(
      async () =>
        (await ribNextHops(prefix)).join() === workerIPs.join() ? await ribNextHops(prefix) : undefined,
      {
        what: "three next hops in FRR's RIB",
        timeoutMs: 20_000,
        describe: async () => JSON.stringify(await ribNextHops(prefix)),
      },
    ),
  ).toEqual(workerIPs);
  expect(
    await waitFor(
      async () => ((await kernelNextHops(prefix)).length === 3 ? await kernelNextHops(prefix) : undefined),
      {
        what: "three kernel next hops",
      },
    ),
  ).toEqual(workerIPs);
  await servedThrough(ip);
  const answers = new Set<string>();
  for (let i = 0; i < 40 && answers.size < 2; i++) answers.add(await curlFromClient(ip));
  expect([...answers].filter((a) => !WORKERS.some((w) => w.name === a))).toEqual([]);
  expect(answers.size).toBeGreaterThanOrEqual(2);
}, 60_000);

test('Events say `with protocol "bgp"`; one ServiceBGPStatus per announcing node lists the peer', async () => {
  const messages = await waitFor(
    async () => {
      const text = await ok([
        "get",
        "events",
        "-n",
        "default",
        "--field-selector",
        "involvedObject.name=svc1,reason=nodeAssigned",
        "-o",
        'jsonpath={range .items[*]}{.message}{"\\n"}{end}',
      ]);
      const lines = text.trim().split("\n").filter(Boolean).sort();
      return lines.length >= 3 ? lines : undefined;
    },
    { what: "three nodeAssigned Events" },
  );
  expect(messages).toEqual(WORKERS.map((w) => `announcing from node "${w.name}" with protocol "bgp"`).sort());
  const statuses = await waitFor(
    async () => {
      const text = await ok([
        "get",
        "servicebgpstatuses",
        "-n",
        NAMESPACE,
        "-l",
        "metallb.io/service-name=svc1",
        "-o",
        'jsonpath={range .items[*]}{.status.node} {.status.peers[*]}{"\\n"}{end}',
      ]);
      const lines = text.trim().split("\n").filter(Boolean).sort();
      return lines.length === 3 ? lines : undefined;
    },
    { what: "three ServiceBGPStatus objects" },
  );
  expect(statuses).toEqual(WORKERS.map((w) => `${w.name} router`).sort());
}, 30_000);

test("the speaker's metrics carry MetalLB's BGP names", async () => {
  const worker = nodeNamed("myk8s-worker");
  const up = `metallb_bgp_session_up{peer="${ROUTER.ipv4}:179"} 1`;
  const metrics = await waitFor(
    async () => {
      const r = await execIn(worker.name, ["curl", "-s", "-m", "2", `http://${worker.ipv4}:9120/metrics`]);
      return r.stdout.includes(up) ? r : undefined;
    },
    { what: "the session up in the metrics" },
  );
  expect(metrics.stdout).toContain(`metallb_bgp_session_up{peer="${ROUTER.ipv4}:179"} 1`);
  expect(metrics.stdout).toMatch(
    new RegExp(`metallb_bgp_announced_prefixes_total\\{peer="${ROUTER.ipv4}:179"\\} [1-9]`),
  );
  expect(metrics.stdout).toContain(`metallb_bgp_pending_prefixes_total{peer="${ROUTER.ipv4}:179"} 0`);
  expect(metrics.stdout).toMatch(/metallb_speaker_announced\{[^}]*protocol="bgp"[^}]*\} 1/);
}, 15_000);

test("ETP Local: only the nodes with a serving endpoint are next hops", async () => {
  await pinnedWebpod("local-web", "myk8s-worker3");
  const ip = await createService("local", "Local", "local-web");
  const prefix = `${ip}/32`;
  expect(
    await waitFor(
      async () => {
        const hops = await ribNextHops(prefix);
        return hops.length === 1 ? hops : undefined;
      },
      { what: "one next hop", describe: async () => JSON.stringify(await ribNextHops(prefix)) },
    ),
  ).toEqual([nodeNamed("myk8s-worker3").ipv4]);
  await pinnedWebpod("local-web", "myk8s-worker2");
  expect(
    await waitFor(
      async () => {
        const hops = await ribNextHops(prefix);
        return hops.length === 2 ? hops : undefined;
      },
      { what: "two next hops" },
    ),
  ).toEqual([nodeNamed("myk8s-worker2").ipv4, nodeNamed("myk8s-worker3").ipv4].sort());
}, 120_000);

test("a speaker killed hard (its kernel closes the TCP session) leaves the router's ECMP set at once; restarted, it is back", async () => {
  const ip = (await ok(["get", "svc", "svc1", "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}"])).trim();
  const prefix = `${ip}/32`;
  const victim = nodeNamed("myk8s-worker2");
  const speaker = await runningSpeaker(victim.name);
  const killedAt = performance.now();
  signalSpeaker(speaker, "SIGKILL");
  const hops = await waitFor(
    async () => {
      const h = await kernelNextHops(prefix);
      return h.includes(victim.ipv4) ? undefined : h;
    },
    { what: "the dead node's next hop gone", timeoutMs: 10_000 },
  );
  const goneMs = performance.now() - killedAt;
  expect(hops).toEqual(workerIPs.filter((i) => i !== victim.ipv4));
  // Bounded by the 3 s hold time (FRR's and ours), plus FRR's and the kernel's reaction.
  expect(goneMs).toBeLessThan(6_000);
  // The kubelet restarts the container in the same pod.
  const back = await speakerBack(speaker);
  expect(back.pod).toBe(speaker.pod);
  expect(back.restartCount).toBe(speaker.restartCount + 1);
  expect(
    await waitFor(
      async () => ((await kernelNextHops(prefix)).length === 3 ? await kernelNextHops(prefix) : undefined),
      {
        what: "three next hops again",
        timeoutMs: 20_000,
      },
    ),
  ).toEqual(workerIPs);
}, 60_000);

test("a frozen speaker (SIGSTOP: no FIN, no KEEPALIVE) is dropped at hold expiry, and comes back", async () => {
  const ip = (await ok(["get", "svc", "svc1", "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}"])).trim();
  const prefix = `${ip}/32`;
  const victim = nodeNamed("myk8s-worker");
  const speaker = await runningSpeaker(victim.name);
  signalSpeaker(speaker, "SIGSTOP");
  const frozenAt = performance.now();
  try {
    await waitFor(async () => ((await kernelNextHops(prefix)).includes(victim.ipv4) ? undefined : true), {
      what: "the frozen node's next hop gone",
      timeoutMs: 10_000,
    });
    const goneMs = performance.now() - frozenAt;
    // The router's hold timer (3 s) decides; nothing else can tell it the node is gone.
    expect(goneMs).toBeGreaterThan(1_500);
    expect(goneMs).toBeLessThan(6_000);
  } finally {
    signalSpeaker(speaker, "SIGCONT");
  }
  expect(
    await waitFor(
      async () => ((await kernelNextHops(prefix)).length === 3 ? await kernelNextHops(prefix) : undefined),
      {
        what: "three next hops again",
        timeoutMs: 20_000,
      },
    ),
  ).toEqual(workerIPs);
  // Thawed, the same process makes its session again: nothing restarted it.
  expect(stillRunning(speaker)).toBe(true);
}, 60_000);

test("a deleted speaker pod (SIGTERM) withdraws before it leaves: requests every 20 ms never fail", async () => {
  const ip = (await ok(["get", "svc", "svc1", "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}"])).trim();
  const prefix = `${ip}/32`;
  const victim = nodeNamed("myk8s-worker3");
  let stop = false;
  const failures: string[] = [];
  let sent = 0;
  const probing = (async () => {
    while (!stop) {
      const a = await curlFromClient(ip, 1);
      sent++;
      if (!WORKERS.some((w) => w.name === a)) failures.push(a);
      await Bun.sleep(20);
    }
  })();
  await Bun.sleep(300);
  const speaker = await runningSpeaker(victim.name);
  await deleteSpeakerPod(speaker);
  await waitFor(async () => ((await kernelNextHops(prefix)).includes(victim.ipv4) ? undefined : true), {
    what: "the stopped node's next hop gone",
  });
  await Bun.sleep(500);
  stop = true;
  await probing;
  expect(sent).toBeGreaterThan(10);
  expect(failures).toEqual([]);
  const next = await speakerBack(speaker);
  expect(next.pod).not.toBe(speaker.pod);
}, 60_000);

test("a wrong peer ASN: the router receives our NOTIFICATION 2/2 (Bad Peer AS) and no session comes up", async () => {
  const worker = nodeNamed("myk8s-worker");
  await apply(aBgpPeer("router", { peerASN: 64999 }));
  // FRR forgets a dynamic neighbour whose session is down; its log keeps what it received.
  const line = await waitFor(
    async () =>
      readFileSync(join(LOG_DIR, "router.frr.bgpd.out"), "utf8")
        .split("\n")
        .find((l) => l.includes(`received from neighbor ${worker.ipv4}`) && l.includes("2/2")),
    { what: "FRR logging a received 2/2 from the node", timeoutMs: 20_000 },
  );
  expect(line).toMatch(/Bad Peer AS/);
  expect((await frrNeighbors(ROUTER.name)).get(worker.ipv4)?.state).not.toBe("Established");
  // The speaker says so where a user looks first: its ConfigurationState.
  const condition = await waitFor(
    async () => {
      const text = await ok([
        "get",
        "configurationstate",
        "-n",
        NAMESPACE,
        `speaker-${worker.name}`,
        "-o",
        'jsonpath={.status.conditions[?(@.type=="bgpSessionsEstablished")].status} {.status.conditions[?(@.type=="bgpSessionsEstablished")].message}',
      ]);
      return text.startsWith("False") ? text : undefined;
    },
    { what: "bgpSessionsEstablished False on the speaker's ConfigurationState" },
  );
  expect(condition).toContain("router: not established");
  await apply(aBgpPeer("router", {}));
  await waitFor(
    async () =>
      (await frrNeighbors(ROUTER.name)).get(worker.ipv4)?.state === "Established" ? true : undefined,
    {
      what: "the session back with the right ASN",
      timeoutMs: 20_000,
    },
  );
}, 60_000);
