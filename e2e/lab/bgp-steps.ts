/**
 * The lab, BGP edition: the seed's cluster and pool, but the IPs reach the network by BGP instead
 * of ARP. FRR in the `router` namespace plays the seed network's router; every speaker peers with
 * it, every eligible node announces every IP, and the router spreads mypc's connections over the
 * nodes (ECMP). Steps 1, 2 and 5 are the L2 lab's; 9 and 10 are in bgp-failover.ts.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { execIn } from "../net/exec.ts";
import { LOG_DIR } from "../net/procs.ts";
import { run } from "../net/run.ts";
import { CLIENT, NODES, ROUTER, WORKERS } from "../net/topology.ts";
import { allPodCidrs } from "../nodes/pod-routes.ts";
import { startFrr } from "../peers/frr.ts";
import { addClientPoolRoutes, POOL_V4 } from "../peers/routing.ts";
import { waitFor } from "../peers/wait.ts";
import { bgpFailback, bgpFailover } from "./bgp-failover.ts";
import {
  BFD_INTERVAL_MS,
  BFD_MULTIPLIER,
  bgpNextHops,
  HOLD_S,
  KEEPALIVE_S,
  kernelNextHops,
  LAB_ROUTER,
  neighbors,
  routerSays,
  vtyshCommandLine,
  WORKER_IPS,
  zebraNextHops,
} from "./bgp-router.ts";
import {
  applySeed,
  createServices,
  install,
  kubectlOut,
  type LabStep,
  SEED,
  SERVICES,
  serviceIPs,
  shown,
} from "./steps.ts";
import { nodeOfSource, parseWebpodAnswer } from "./webpod-answer.ts";

const peerAndAdvertisement: LabStep = {
  n: 3,
  title: "apply a BFDProfile, a BGPPeer (the router) and a BGPAdvertisement instead of the L2Advertisement",
  async run() {
    const applied = await kubectlOut([
      "apply",
      "-f",
      join(SEED, "bfdprofile.yaml"),
      "-f",
      join(SEED, "bgppeer.yaml"),
      "-f",
      join(SEED, "bgpadvertisement.yaml"),
    ]);
    const listed = await kubectlOut(["get", "bgppeers,bgpadvertisements", "-n", "metallb-system"]);
    const holdTime = (
      await kubectlOut([
        "get",
        "bgppeer",
        "my-bgp-peer",
        "-n",
        "metallb-system",
        "-o",
        "jsonpath={.spec.holdTime}",
      ])
    ).trim();
    const ok = /my-bgp-peer\s/.test(listed) && /my-bgp-advertise\s/.test(listed) && holdTime === `${HOLD_S}s`;
    return {
      ok,
      summary: ok
        ? `kubectl get bgppeers,bgpadvertisements -n metallb-system lists my-bgp-peer (holdTime ${holdTime}) and my-bgp-advertise`
        : `my-bgp-peer (holdTime ${holdTime || "?"}) or my-bgp-advertise is not as applied`,
      detail: [
        [
          "One BGPPeer without nodeSelectors, as in MetalLB's docs: it applies to every node, and each",
          "node's speaker opens its own session to the router from the node's address, so the router has",
          "one neighbour per node. One BGPPeer per node (nodeSelectors on kubernetes.io/hostname) is for",
          "nodes that peer with different routers or from different ASNs; here all share one router.",
          `holdTime: ${HOLD_S}s (keepalive ${KEEPALIVE_S} s) is the common 9/3 choice instead of MetalLB's 90 s default:`,
          "a node that vanishes without a word is dropped by the router within 9 s.",
          `bfdProfile: my-bfd-profile adds BFD (${BFD_INTERVAL_MS} ms x ${BFD_MULTIPLIER}): the router and the speaker check`,
          "each other every 300 ms, and the router drops a silent node in under a second.",
        ].join("\n"),
        `$ cat bfdprofile.yaml\n${readFileSync(join(SEED, "bfdprofile.yaml"), "utf8").trimEnd()}`,
        `$ cat bgppeer.yaml\n${readFileSync(join(SEED, "bgppeer.yaml"), "utf8").trimEnd()}`,
        `$ cat bgpadvertisement.yaml\n${readFileSync(join(SEED, "bgpadvertisement.yaml"), "utf8").trimEnd()}`,
        shown("kubectl apply -f bfdprofile.yaml -f bgppeer.yaml -f bgpadvertisement.yaml", applied),
        shown("kubectl get bgppeers,bgpadvertisements -n metallb-system", listed),
      ].join("\n\n"),
    };
  },
};

const router: LabStep = {
  n: 4,
  title: `the router: FRR in "${ROUTER.name}" (AS ${LAB_ROUTER.asn}, ${ROUTER.ipv4}) accepts every node; show bgp summary lists each Established`,
  async run(ctx) {
    ctx.frr = await startFrr(ROUTER.name, LAB_ROUTER, { bfd: true });
    // mypc's way to the pool is the router, as a client beyond the router would have it.
    await addClientPoolRoutes();
    const established = await waitFor(
      async () => {
        const n = await neighbors();
        return NODES.every((node) => n.get(node.ipv4)?.state === "Established") ? n : undefined;
      },
      {
        what: "every node Established at the router",
        timeoutMs: 30_000,
        describe: async () => JSON.stringify([...(await neighbors())].map(([ip, s]) => [ip, s.state])),
      },
    ).catch(() => neighbors());
    const rows = NODES.map((node) => {
      const s = established.get(node.ipv4);
      return `${node.name} ${node.ipv4}: ${s?.state ?? "absent"}, AS ${s?.remoteAs ?? "?"}, hold ${(s?.holdTimeMs ?? 0) / 1000} s, keepalive ${(s?.keepaliveMs ?? 0) / 1000} s`;
    });
    const ok = NODES.every((node) => {
      const s = established.get(node.ipv4);
      return (
        s?.state === "Established" && s.holdTimeMs === HOLD_S * 1000 && s.keepaliveMs === KEEPALIVE_S * 1000
      );
    });
    const clientRoute = await run(["ip", "-n", CLIENT.name, "-4", "route", "show", POOL_V4]);
    return {
      ok,
      summary: ok
        ? `${NODES.length}/${NODES.length} nodes Established (AS 64512 -> ${LAB_ROUTER.asn}, eBGP), hold ${HOLD_S} s / keepalive ${KEEPALIVE_S} s`
        : `not every node Established with hold ${HOLD_S} s: ${rows.join("; ")}`,
      detail: [
        `$ cat ${ctx.frr.dir}/bgpd.conf\n${readFileSync(join(ctx.frr.dir, "bgpd.conf"), "utf8").trimEnd()}`,
        shown(vtyshCommandLine("show bgp summary"), await routerSays("show bgp summary")),
        rows.join("\n"),
        shown(`ip -n ${CLIENT.name} route show ${POOL_V4}`, clientRoute.stdout),
      ].join("\n\n"),
    };
  },
};

/** The nodeAssigned Event messages of a Service, sorted. */
async function assignedMessages(svc: string): Promise<string[]> {
  const text = await kubectlOut([
    "get",
    "events",
    "-n",
    "default",
    "--field-selector",
    `involvedObject.name=${svc},reason=nodeAssigned`,
    "-o",
    'jsonpath={range .items[*]}{.message}{"\\n"}{end}',
  ]);
  return [...new Set(text.trim().split("\n").filter(Boolean))].sort();
}

/** The header, the IPAllocated Event and one nodeAssigned Event per worker (the L2 lab's -A5 shows one). */
const EVENT_LINES = 3 + WORKERS.length;

const expectedMessages = WORKERS.map((w) => `announcing from node "${w.name}" with protocol "bgp"`).sort();

const events: LabStep = {
  n: 6,
  title: `kubectl describe svc | grep Events: -A${EVENT_LINES}: every worker announces each Service with protocol bgp`,
  async run() {
    const all = async () => Promise.all(SERVICES.map(assignedMessages));
    const seen = await waitFor(
      async () => {
        const m = await all();
        return m.every((msgs) => msgs.join() === expectedMessages.join()) ? m : undefined;
      },
      { what: "three bgp Events per Service", timeoutMs: 20_000 },
    ).catch(all);
    // One describe per Service: this kubectl prints no Events when given several names.
    const described = await Promise.all(
      SERVICES.map((s) => kubectlOut(["describe", "svc", "-n", "default", s])),
    );
    const excerpt = described
      .flatMap((text) =>
        text
          .split("\n")
          .flatMap((line, i, lines) =>
            line.startsWith("Events:")
              ? lines.slice(i, i + 1 + EVENT_LINES)
              : line.startsWith("Name:")
                ? [line]
                : [],
          ),
      )
      .join("\n");
    const ok = seen.every((msgs) => msgs.join() === expectedMessages.join());
    return {
      ok,
      summary: ok
        ? `each of ${SERVICES.join(", ")}: announcing from node "${WORKERS.map((w) => w.name).join('", "')}" with protocol "bgp" (no election: every eligible node announces)`
        : `unexpected Events: ${JSON.stringify(seen)}`,
      detail: `$ kubectl describe svc | grep Events: -A${EVENT_LINES}\n${excerpt}`,
    };
  },
};

const ecmp: LabStep = {
  n: 7,
  title: `vtysh -c 'show ip route': each IP has one next hop per worker (ECMP); the router's kernel route has the "nexthop via" lines`,
  async run() {
    const ips = await serviceIPs();
    const prefixes = ips.map((ip) => `${ip}/32`);
    const expected = WORKER_IPS.join();
    const views = async () =>
      Promise.all(
        prefixes.map(async (p) => ({
          prefix: p,
          bgp: (await bgpNextHops(p)).sort(),
          zebra: (await zebraNextHops(p)).sort(),
          kernel: (await kernelNextHops(p)).sort(),
        })),
      );
    const seen = await waitFor(
      async () => {
        const v = await views();
        return v.every((r) => [r.bgp, r.zebra, r.kernel].every((h) => h.join() === expected)) ? v : undefined;
      },
      { what: "three next hops per IP in the RIB, zebra and the kernel", timeoutMs: 20_000 },
    ).catch(views);
    const ok = seen.every((r) => [r.bgp, r.zebra, r.kernel].every((h) => h.join() === expected));
    const kernel = await run(["ip", "-n", ROUTER.name, "route", "show", "root", POOL_V4]);
    return {
      ok,
      summary: ok
        ? `${ips.join(", ")}: next hops ${WORKER_IPS.join(", ")} in show bgp ipv4 unicast, show ip route and the kernel`
        : `next hops differ: ${JSON.stringify(seen)}`,
      detail: [
        shown(vtyshCommandLine("show ip route bgp"), await routerSays("show ip route bgp")),
        shown(vtyshCommandLine("show bgp ipv4 unicast"), await routerSays("show bgp ipv4 unicast")),
        shown(`ip -n ${ROUTER.name} route show root ${POOL_V4}`, kernel.stdout),
      ].join("\n\n"),
    };
  },
};

/**
 * Requests from mypc to `ip` until each worker has been the entering node at least once (at most
 * `max`): counts per entering node, read from the address the answering webpod saw.
 */
async function enteringNodes(ip: string, max: number): Promise<Map<string, number>> {
  const cidrs = await allPodCidrs();
  const counts = new Map<string, number>();
  for (let i = 0; i < max && WORKERS.some((w) => !counts.has(w.name)); i++) {
    const r = await execIn(CLIENT.name, ["curl", "-s", "-m", "2", `http://${ip}/`]);
    const answer = parseWebpodAnswer(r.stdout);
    const who = answer
      ? (nodeOfSource(answer.remoteIp, cidrs) ?? `? (${answer.remoteIp})`)
      : `curl exit ${r.exitCode}`;
    counts.set(who, (counts.get(who) ?? 0) + 1);
  }
  return counts;
}

const traffic: LabStep = {
  n: 8,
  title: "curl from mypc, routed via the router: across requests each IP enters through every worker",
  async run() {
    const ips = await serviceIPs();
    const rows: string[] = [];
    let ok = true;
    for (const [i, s] of SERVICES.entries()) {
      const counts = await enteringNodes(ips[i]!, 60);
      const sent = [...counts.values()].reduce((a, b) => a + b, 0);
      const workersSeen = WORKERS.filter((w) => counts.has(w.name)).length;
      ok &&= workersSeen === WORKERS.length && counts.size === WORKERS.length;
      rows.push(
        `${s} http://${ips[i]}/ entered via ${[...counts].map(([who, n]) => `${who} x${n}`).join(", ")} (${sent} requests)`,
      );
    }
    const trace = await execIn(CLIENT.name, ["ip", "route", "get", ips[0]!]);
    const sample = await execIn(CLIENT.name, ["curl", "-s", "-m", "2", `http://${ips[0]}/`]);
    return {
      ok,
      summary: ok
        ? `each IP entered through ${WORKERS.map((w) => w.name).join(", ")} (the router hashes each connection's 5-tuple), then kube-proxy to a webpod pod`
        : `not every worker was an entry: ${rows.join("; ")}`,
      detail: [
        shown(`ip netns exec ${CLIENT.name} ip route get ${ips[0]}`, trace.stdout),
        rows.join("\n"),
        shown(`ip netns exec ${CLIENT.name} curl -s http://${ips[0]}/`, sample.stdout),
      ].join("\n\n"),
    };
  },
};

export const bgpLabSteps: readonly LabStep[] = [
  install,
  applySeed(2, "ippool.yaml", "ipaddresspools", "my-ippool"),
  peerAndAdvertisement,
  router,
  createServices(5),
  events,
  ecmp,
  traffic,
  bgpFailover,
  bgpFailback,
];

export const bgpExplore = `
Explore it:
  eval "$(bun run --silent cluster env)"      # kubectl of the testbed, admin kubeconfig
  kubectl get ipaddresspools,bgppeers,bgpadvertisements -n metallb-system
  kubectl get servicebgpstatuses -n metallb-system
  kubectl describe svc svc1 | grep Events: -A6
  ${vtyshCommandLine("show bgp summary")}
  ${vtyshCommandLine("show ip route bgp")}
  ${vtyshCommandLine("show bgp ipv4 unicast 172.18.255.200/32")}
  ip -n ${ROUTER.name} route show root ${POOL_V4}
  for i in $(seq 12); do ip netns exec ${CLIENT.name} curl -s http://172.18.255.200/ | grep -E 'Hostname|RemoteAddr'; done
  ip netns exec myk8s-worker curl -s http://172.18.0.3:9120/metrics | grep metallb_bgp
kubectl logs -n metallb-system daemonset/speaker; the router's FRR daemons: ${LOG_DIR}/ (*.out, *.err)
`;
