/**
 * `metalbun explain svc/NAME`: the whole chain of decisions for one Service, each step computed by
 * the controller's and the speakers' own pure functions on one snapshot, so the explanation
 * cannot disagree with them. The first failing step gives the one-line summary.
 */
import { bgpAdvertisementsFor } from "../announce/bgp-decision.ts";
import { commonVerdictFor } from "../announce/common.ts";
import { announceRequestOf } from "../announce/request.ts";
import { type AnnounceView, announceViewOf } from "../announce/view.ts";
import { serviceKey } from "../api/core.ts";
import { l2AdvertisementsFor } from "../election/advertisements.ts";
import { allocationStep, holding } from "./allocation-step.ts";
import { announcingStep } from "./announcing-step.ts";
import { type ControllerView, controllerViewOf } from "./controller-view.ts";
import { nodeDecisions } from "./node-rows.ts";
import { nodesStep } from "./nodes-step.ts";
import { observedStep } from "./observed-step.ts";
import type { ExplainOptions, ExplainSnapshot } from "./snapshot.ts";
import { speakerConfigOf } from "./speaker-config.ts";
import { liveSegments, liveSpeakers } from "./speakers.ts";
import type { NodeRow, ServiceExplanation, Step, StepName } from "./verdict.ts";

const LATER_STEPS: readonly StepName[] = ["allocation", "advertisement", "nodes", "announcing", "observed"];

/** The steps after a failure, marked skipped; they carry the failing step's code (what blocked them). */
function skipped(after: readonly Step[]): Step[] {
  const done = new Set(after.map((s) => s.step));
  return LATER_STEPS.filter((s) => !done.has(s)).map((step) => ({
    step,
    verdict: "skip",
    code: after[after.length - 1]!.code,
    text: "not reached",
  }));
}

function finish(
  key: string,
  steps: readonly Step[],
  rows: readonly NodeRow[],
  ips: readonly string[],
  pool: string | undefined,
  announced: string,
): ServiceExplanation {
  const all = [...steps, ...skipped(steps)];
  const failed = all.find((s) => s.verdict === "fail");
  return {
    service: key,
    summary: failed === undefined ? `${key}: ${announced}` : `${key}: ${failed.text}`,
    healthy: failed === undefined,
    ips,
    pool,
    steps: all,
    nodes: rows,
  };
}

/** What every Service's explanation shares: computed once when explaining many. */
export interface ExplainContext {
  readonly controller: ControllerView;
  readonly view: AnnounceView;
}

export function explainContextOf(snapshot: ExplainSnapshot, options: ExplainOptions): ExplainContext {
  return {
    controller: controllerViewOf(snapshot, options),
    view: announceViewOf({
      self: "",
      config: speakerConfigOf(snapshot),
      nodes: snapshot.nodes,
      members: liveSpeakers(snapshot),
      segments: liveSegments(snapshot),
      endpointSlices: snapshot.endpointSlices,
      loadBalancerClass: options.loadBalancerClass,
      ignoreExcludeLB: options.ignoreExcludeLB,
    }),
  };
}

export function explainService(
  snapshot: ExplainSnapshot,
  namespace: string,
  name: string,
  options: ExplainOptions,
  context: ExplainContext = explainContextOf(snapshot, options),
): ServiceExplanation {
  const key = serviceKey(namespace, name);
  const service = snapshot.services.find(
    (s) => s.metadata?.namespace === namespace && s.metadata?.name === name,
  );
  if (service === undefined)
    return finish(
      key,
      [{ step: "ours", verdict: "fail", code: "serviceNotFound", text: `Service ${key} not found` }],
      [],
      [],
      undefined,
      "",
    );

  const { controller, view } = context;
  const request = announceRequestOf(service);

  // 1. Ours? The rule every component applies first (type, then class against --lb-class).
  const common = commonVerdictFor(request, view);
  const steps: Step[] = [];
  if (
    !common.eligible &&
    (common.reason === "notLoadBalancer" || common.reason === "loadBalancerClassMismatch")
  ) {
    const cls = request.loadBalancerClass;
    const text =
      common.reason === "notLoadBalancer"
        ? `not ours: type is ${service.spec?.type ?? "ClusterIP"}, not LoadBalancer`
        : `not ours: loadBalancerClass is ${cls === undefined ? "unset" : `"${cls}"`}, but metalbun runs with ${options.loadBalancerClass === "" ? "no --lb-class (it serves only Services without a class)" : `--lb-class ${options.loadBalancerClass}`}`;
    steps.push({ step: "ours", verdict: "fail", code: common.reason, text });
    return finish(key, steps, [], request.ips, undefined, "");
  }
  steps.push({
    step: "ours",
    verdict: "ok",
    code: "ours",
    text: "type LoadBalancer, class served by metalbun",
  });

  // 2. Allocation, by the controller's reconciler.
  const decision = controller.decisions.get(key);
  const allocation = allocationStep(decision, controller);
  steps.push(allocation);
  const ips = decision?.ips ?? request.ips;
  const poolName = decision?.pool;
  if (allocation.verdict !== "ok") return finish(key, steps, [], ips, poolName, "");

  // 3. Advertisement: the pool's advertisements that cover this Service.
  const pool = poolName === undefined ? undefined : view.config?.pools.byName.get(poolName);
  const l2Ads = pool === undefined ? [] : l2AdvertisementsFor(pool, request.labels);
  const bgpAds = pool === undefined ? [] : bgpAdvertisementsFor(pool, request.labels);
  if (l2Ads.length === 0 && bgpAds.length === 0) {
    const narrowed =
      (pool?.l2Advertisements.length ?? 0) + (pool?.bgpAdvertisements.length ?? 0) > 0
        ? " (its advertisements' serviceSelectors do not match this Service)"
        : "";
    steps.push({
      step: "advertisement",
      verdict: "fail",
      code: "noAdvertisement",
      text: `no L2Advertisement or BGPAdvertisement selects pool ${poolName}${narrowed}: the IP is assigned but nobody announces it`,
    });
    return finish(key, steps, [], ips, poolName, "");
  }
  const adNames = [
    ...l2Ads.map((ad) => `L2Advertisement ${ad.name}`),
    ...bgpAds.map((ad) => `BGPAdvertisement ${ad.name}`),
  ];
  const decisions = nodeDecisions(request, pool, view, snapshot, options);
  if (decisions.layer2.some((d) => !d.announce && d.reason === "sharedIPWithServiceSelector")) {
    steps.push({
      step: "advertisement",
      verdict: "fail",
      code: "sharedIPWithServiceSelector",
      text: `it shares its IP (allow-shared-ip) but ${l2Ads.map((a) => a.name).join(", ")} uses serviceSelectors: speakers refuse to announce it`,
    });
    return finish(key, steps, decisions.rows, ips, poolName, "");
  }
  steps.push({
    step: "advertisement",
    verdict: "ok",
    code: "advertised",
    text: `pool ${poolName} is selected by ${adNames.join(", ")}`,
  });

  // 4. Nodes.
  const nodes = nodesStep(decisions);
  steps.push(nodes);
  if (nodes.verdict !== "ok") return finish(key, steps, decisions.rows, ips, poolName, "");

  // 5. Announcing.
  const announcing = announcingStep(decisions);
  steps.push(announcing.step);
  if (announcing.step.verdict !== "ok") return finish(key, steps, decisions.rows, ips, poolName, "");

  // 6. Observed vs decided.
  const dead = decisions.rows
    .filter((r) => r.layer2?.code === "speakerNotRunning" || r.bgp?.code === "speakerNotRunning")
    .map((r) => r.node);
  const observed = observedStep(snapshot, namespace, name, {
    layer2Applies: decisions.layer2.length > 0,
    layer2Owner: announcing.owner,
    bgpApplies: decisions.bgp.length > 0,
    bgpNodes: announcing.bgpNodes,
    deadSpeakers: new Set(dead),
  });
  steps.push(observed);
  // Announced, yet worth the first line: a node that would take part has no live speaker, or is
  // not heard on the IP's segment.
  const unheard = decisions.rows.filter((r) => r.layer2?.code === "notHeardOnSegment").map((r) => r.node);
  const note =
    (dead.length === 0 ? "" : `; no live speaker on ${dead.join(", ")}`) +
    (unheard.length === 0 ? "" : `; not heard on the IP's segment: ${unheard.join(", ")}`);
  return finish(
    key,
    steps,
    decisions.rows,
    ips,
    poolName,
    `announced as decided: ${holding(decision!)}; ${announcing.text}${note}`,
  );
}
