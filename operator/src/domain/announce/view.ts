/**
 * Everything a decision (Layer 2 or BGP) reads besides the Service, prepared once per reconcile so that
 * deciding 10k Services does not re-read nodes, slices or pools each time.
 */
import { PoolLocator } from "../allocator/pool-locator.ts";
import type { EndpointSlice, Node } from "../api/core.ts";
import type { Config } from "../config/types.ts";
import { type NodeFacts, nodeFactsByName } from "../election/node-facts.ts";
import { type MemberSegment, type SegmentView, segmentViews } from "../election/segments.ts";
import { type EndpointsLookup, servingEndpointsByService } from "../election/serving-endpoints.ts";

export interface AnnounceView {
  /** This speaker's node. */
  readonly self: string;
  /** The configuration in use; undefined until one loaded. */
  readonly config: Config | undefined;
  readonly pools: PoolLocator | undefined;
  readonly nodes: ReadonlyMap<string, NodeFacts>;
  /** Live speakers; undefined when membership is disabled (every known node is a candidate). */
  readonly members: ReadonlySet<string> | undefined;
  /** The other announcing segments' live speakers: they elect the IPs in their subnets. */
  readonly segments: readonly SegmentView[];
  /** By Service (precomputed, or computed as asked). */
  readonly endpoints: EndpointsLookup;
  /** --lb-class; "" serves only Services without a class. */
  readonly loadBalancerClass: string;
  readonly ignoreExcludeLB: boolean;
}

export interface AnnounceViewSource {
  readonly self: string;
  readonly config: Config | undefined;
  readonly nodes: readonly Node[];
  readonly members: readonly string[] | undefined;
  readonly segments?: readonly MemberSegment[];
  readonly endpointSlices: readonly EndpointSlice[];
  /** Given: used instead of indexing `endpointSlices` (the speaker's memo computes them per Service). */
  readonly endpoints?: EndpointsLookup;
  readonly loadBalancerClass: string;
  readonly ignoreExcludeLB: boolean;
}

export function announceViewOf(source: AnnounceViewSource): AnnounceView {
  return {
    self: source.self,
    config: source.config,
    pools: source.config === undefined ? undefined : new PoolLocator(source.config),
    nodes: nodeFactsByName(source.nodes),
    members: source.members === undefined ? undefined : new Set(source.members),
    segments: segmentViews(source.segments),
    endpoints: source.endpoints ?? servingEndpointsByService(source.endpointSlices),
    loadBalancerClass: source.loadBalancerClass,
    ignoreExcludeLB: source.ignoreExcludeLB,
  };
}
