/**
 * Reads, once, everything `metalbun explain` decides from (domain/explain/snapshot.ts): each kind
 * listed in full (all pages), and the metalbun Pods, which say where a speaker runs and with
 * which --lb-class / --ignore-exclude-lb the components run. A kind the user may not read is
 * reported as a problem value, and explain goes on without it.
 */
import type { ExplainSnapshot, SpeakerPresence } from "../domain/explain/snapshot.ts";
import type { KubeClient } from "./client.ts";
import { ApiError } from "./errors.ts";
import { type ResourceType, resources } from "./resource.ts";
import type { KubeObject } from "./types.ts";

/** The few Pod fields read here (no Pod type elsewhere: nothing else reads Pods). */
interface PodLike extends KubeObject {
  readonly spec?: {
    readonly nodeName?: string;
    readonly containers?: readonly {
      readonly name?: string;
      readonly args?: readonly string[];
      readonly env?: readonly { readonly name?: string; readonly value?: string }[];
    }[];
  };
  readonly status?: {
    readonly phase?: string;
    readonly conditions?: readonly { readonly type?: string; readonly status?: string }[];
  };
}

/** A kind that could not be listed, and why (typically RBAC: 403). */
export interface ReadProblem {
  readonly code: "forbidden" | "notFound" | "failed";
  readonly resource: string;
  readonly message: string;
}

export interface ComponentFlags {
  /** --lb-class of the controller Pod, when one was found. */
  readonly lbClass: string | undefined;
  /** --ignore-exclude-lb on the speaker Pods, when one was found. */
  readonly ignoreExcludeLB: boolean | undefined;
  /** --l2-non-revertive (or METALBUN_L2_NON_REVERTIVE=true) on the speaker Pods, when one was found. */
  readonly nonRevertive: boolean | undefined;
}

export interface ExplainRead {
  readonly snapshot: ExplainSnapshot;
  readonly flags: ComponentFlags;
  readonly problems: readonly ReadProblem[];
}

const PAGE = 500;

async function listAll<T extends KubeObject>(
  client: KubeClient,
  resource: ResourceType,
  problems: ReadProblem[],
  options: { namespace?: string; labelSelector?: string } = {},
): Promise<T[]> {
  const items: T[] = [];
  let next: string | undefined;
  try {
    do {
      const page = await client.list<T>(resource, { ...options, limit: PAGE, continue: next });
      items.push(...page.items);
      next = page.metadata?.continue || undefined;
    } while (next !== undefined);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    problems.push({
      code: error.status === 403 ? "forbidden" : error.status === 404 ? "notFound" : "failed",
      resource: resource.plural + (resource.group ? `.${resource.group}` : ""),
      message: error.message,
    });
  }
  return items;
}

function podReady(pod: PodLike): boolean {
  return (
    pod.status?.phase === "Running" &&
    (pod.status.conditions ?? []).some((c) => c.type === "Ready" && c.status === "True")
  );
}

/** The value of `--name=value` or `--name value` in a container's args. */
export function flagValue(args: readonly string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === `--${name}`) return args[i + 1];
    if (arg.startsWith(`--${name}=`)) return arg.slice(name.length + 3);
  }
  return undefined;
}

function argsOf(pod: PodLike | undefined): string[] {
  return (pod?.spec?.containers ?? []).flatMap((c) => [...(c.args ?? [])]);
}

export function speakerPresenceOf(pods: readonly PodLike[]): SpeakerPresence[] | undefined {
  const speakers = pods.filter((p) => p.metadata?.labels?.component === "speaker" && p.spec?.nodeName);
  if (speakers.length === 0) return undefined;
  const byNode = new Map<string, SpeakerPresence>();
  for (const pod of speakers) {
    const node = pod.spec!.nodeName!;
    // Two Pods on one node (a rollout): running if either runs.
    if (byNode.get(node)?.state === "running") continue;
    byNode.set(node, { node, state: podReady(pod) ? "running" : "notReady" });
  }
  return [...byNode.values()].sort((a, b) => (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
}

function componentFlags(pods: readonly PodLike[]): ComponentFlags {
  const controller = pods.find((p) => p.metadata?.labels?.component === "controller");
  const speaker = pods.find((p) => p.metadata?.labels?.component === "speaker");
  const ignore = speaker === undefined ? undefined : argsOf(speaker);
  const env = (speaker?.spec?.containers ?? []).flatMap((c) => [...(c.env ?? [])]);
  return {
    nonRevertive:
      ignore === undefined
        ? undefined
        : ignore.includes("--l2-non-revertive") ||
          env.some((e) => e.name === "METALBUN_L2_NON_REVERTIVE" && e.value === "true"),
    lbClass: controller === undefined ? undefined : (flagValue(argsOf(controller), "lb-class") ?? ""),
    ignoreExcludeLB:
      ignore === undefined
        ? undefined
        : ignore.includes("--ignore-exclude-lb") || flagValue(ignore, "ignore-exclude-lb") === "true",
  };
}

/** Lists everything once. `namespace` is the MetalLB namespace (CRs, status objects, Pods). */
export async function readExplainSnapshot(client: KubeClient, namespace: string): Promise<ExplainRead> {
  const problems: ReadProblem[] = [];
  const ns = { namespace };
  const [
    services,
    endpointSlices,
    nodes,
    namespaces,
    ipAddressPools,
    l2Advertisements,
    bgpAdvertisements,
    bgpPeers,
    bfdProfiles,
    communities,
    serviceL2Statuses,
    serviceBGPStatuses,
    configurationStates,
    pods,
  ] = await Promise.all([
    listAll(client, resources.services, problems),
    listAll(client, resources.endpointSlices, problems),
    listAll(client, resources.nodes, problems),
    listAll(client, resources.namespaces, problems),
    listAll(client, resources.ipAddressPools, problems, ns),
    listAll(client, resources.l2Advertisements, problems, ns),
    listAll(client, resources.bgpAdvertisements, problems, ns),
    listAll(client, resources.bgpPeers, problems, ns),
    listAll(client, resources.bfdProfiles, problems, ns),
    listAll(client, resources.communities, problems, ns),
    listAll(client, resources.serviceL2Statuses, problems, ns),
    listAll(client, resources.serviceBGPStatuses, problems, ns),
    listAll(client, resources.configurationStates, problems, ns),
    listAll<PodLike>(client, resources.pods, problems, { ...ns, labelSelector: "app=metallb" }),
  ]);
  // The kube layer's objects are the wire JSON; the domain types describe the same JSON.
  const snapshot = {
    services,
    endpointSlices,
    nodes,
    namespaces,
    ipAddressPools,
    l2Advertisements,
    bgpAdvertisements,
    bgpPeers,
    bfdProfiles,
    communities,
    serviceL2Statuses,
    serviceBGPStatuses,
    configurationStates,
    speakers: speakerPresenceOf(pods),
  } as unknown as ExplainSnapshot;
  return { snapshot, flags: componentFlags(pods), problems };
}
