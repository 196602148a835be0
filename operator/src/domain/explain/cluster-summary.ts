/**
 * `metalbun explain` without a Service: the cluster at a glance. Pools with their usage and
 * the advertisements that select them, the advertisements, the speakers, every configuration
 * error (the controller's parse and what each component reports), and every LoadBalancer
 * Service of ours that is not announced as decided, with its one-line reason.
 */
import { announceRequestOf } from "../announce/request.ts";
import { poolUsage } from "./controller-view.ts";
import { explainContextOf, explainService } from "./explain-service.ts";
import type { ExplainOptions, ExplainSnapshot } from "./snapshot.ts";
import { speakerConfigurationState, speakerNodes, speakerOn } from "./speakers.ts";
import type { NodeRow } from "./verdict.ts";

export interface PoolSummary {
  readonly name: string;
  readonly usage: string;
  readonly autoAssign: boolean;
  readonly advertisedBy: readonly string[];
}

export interface AdvertisementSummary {
  readonly kind: "L2Advertisement" | "BGPAdvertisement";
  readonly name: string;
  readonly pools: readonly string[];
  readonly nodes: readonly string[];
}

export interface SpeakerSummary {
  readonly node: string;
  readonly speaker: NodeRow["speaker"];
  /** Its `speaker-<node>` ConfigurationState result, "" when it has none. */
  readonly configuration: string;
  /** Its BGP sessions as it reports them: "" (none), "all established", or which are down and why. */
  readonly bgpSessions: string;
}

function sessionsText(snapshot: ExplainSnapshot, node: string): string {
  const condition = speakerConfigurationState(snapshot, node)?.status?.conditions?.find(
    (c) => c.type === "bgpSessionsEstablished",
  );
  if (condition === undefined) return "";
  return condition.status === "True" ? "all established" : (condition.message ?? "down");
}

export interface ClusterSummary {
  readonly summary: string;
  readonly healthy: boolean;
  readonly pools: readonly PoolSummary[];
  readonly advertisements: readonly AdvertisementSummary[];
  readonly speakers: readonly SpeakerSummary[];
  readonly configErrors: readonly string[];
  /** LoadBalancer Services of ours. */
  readonly services: number;
  /** Those not announced as decided: key and first line. */
  readonly problems: readonly { readonly service: string; readonly summary: string }[];
}

function reportedErrors(snapshot: ExplainSnapshot): string[] {
  const errors: string[] = [];
  for (const state of snapshot.configurationStates) {
    if (state.status?.result === "Invalid")
      errors.push(`${state.metadata?.name}: ${state.status.errorSummary ?? "invalid"}`);
  }
  return errors;
}

export function clusterSummary(snapshot: ExplainSnapshot, options: ExplainOptions): ClusterSummary {
  const context = explainContextOf(snapshot, options);
  const config = context.view.config ?? context.controller.config;
  const pools = [...(config?.pools.byName.values() ?? [])].map((pool) => ({
    name: pool.name,
    usage: poolUsage(context.controller.pools.get(pool.name)),
    autoAssign: pool.autoAssign,
    advertisedBy: [
      ...pool.l2Advertisements.map((ad) => `L2Advertisement ${ad.name}`),
      ...pool.bgpAdvertisements.map((ad) => `BGPAdvertisement ${ad.name}`),
    ],
  }));
  const advertisements = new Map<
    string,
    { kind: AdvertisementSummary["kind"]; name: string; pools: string[]; nodes: string[] }
  >();
  for (const pool of config?.pools.byName.values() ?? []) {
    for (const [kind, ads] of [
      ["L2Advertisement", pool.l2Advertisements],
      ["BGPAdvertisement", pool.bgpAdvertisements],
    ] as const) {
      for (const ad of ads) {
        const id = `${kind}/${ad.name}`;
        const entry = advertisements.get(id) ?? {
          kind,
          name: ad.name,
          pools: [],
          nodes: [...ad.nodes].sort(),
        };
        entry.pools.push(pool.name);
        advertisements.set(id, entry);
      }
    }
  }
  const nodes = new Set([...context.view.nodes.keys(), ...speakerNodes(snapshot)]);
  const speakers = [...nodes].sort().map((node) => ({
    node,
    speaker: speakerOn(snapshot, node),
    configuration: speakerConfigurationState(snapshot, node)?.status?.result ?? "",
    bgpSessions: sessionsText(snapshot, node),
  }));
  const configErrors = [
    ...context.controller.configErrors.map((e) => `${e.kind} ${e.name}: ${e.message}`),
    ...reportedErrors(snapshot),
  ];
  const problems: { service: string; summary: string }[] = [];
  let services = 0;
  for (const service of snapshot.services) {
    const request = announceRequestOf(service);
    if (!request.isLoadBalancer || (request.loadBalancerClass ?? "") !== options.loadBalancerClass) continue;
    services++;
    const e = explainService(snapshot, request.namespace, request.name, options, context);
    if (!e.healthy) problems.push({ service: e.service, summary: e.summary });
  }
  const down = speakers.filter(
    (s) => s.speaker === "notReady" || s.speaker === "notAlive" || s.speaker === "absent",
  );
  const findings = [
    ...(configErrors.length > 0 ? [`${configErrors.length} configuration error(s): ${configErrors[0]}`] : []),
    ...(problems.length > 0
      ? [`${problems.length} of ${services} LoadBalancer Services not announced as decided`]
      : []),
    ...(down.length > 0 ? [`no running speaker on ${down.map((s) => s.node).join(", ")}`] : []),
  ];
  return {
    summary:
      findings.length === 0
        ? `all well: ${services} LoadBalancer Service(s) announced as decided, ${pools.length} pool(s)`
        : findings.join("; "),
    healthy: configErrors.length === 0 && problems.length === 0,
    pools,
    advertisements: [...advertisements.values()],
    speakers,
    configErrors,
    services,
    problems,
  };
}
