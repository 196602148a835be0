/**
 * The engines of the segments beside the bind address's (segments.ts): one MembershipEngine per
 * segment, with the same node name, key and timings, opened and closed as the announcing
 * interfaces change. Each reports its own live members after its own warm-up; a closed segment
 * reports none. Used by the membership Worker and by the inline host alike.
 */
import type { BeatDestination } from "./destination.ts";
import type { EngineSink, MembershipEngine } from "./engine.ts";
import type { MemberChange } from "./reasons.ts";

export interface SegmentSpec {
  readonly ifname: string;
  readonly destination: BeatDestination;
}

export interface SegmentReports {
  /** The segment's live members after its warm-up and on every change; undefined once closed. */
  members(ifname: string, members: ReadonlySet<string> | undefined, changes: readonly MemberChange[]): void;
  /** The engines' other reports (logs, packet counts), shared with the bind address's engine. */
  readonly sink: Omit<EngineSink, "members">;
}

type EngineFactory = (destination: BeatDestination, sink: EngineSink) => MembershipEngine;

interface Running {
  readonly key: string;
  readonly engine: MembershipEngine;
}

export class SegmentEngines {
  private readonly running = new Map<string, Running>();
  private leaving = false;

  constructor(
    private readonly make: EngineFactory,
    private readonly reports: SegmentReports,
  ) {}

  /** Opens the segments new or changed, closes the others; a segment that cannot open is logged. */
  async set(specs: readonly SegmentSpec[]): Promise<void> {
    const wanted = new Map(specs.map((s) => [s.ifname, s]));
    for (const [ifname, running] of this.running) {
      const spec = wanted.get(ifname);
      if (spec !== undefined && JSON.stringify(spec.destination) === running.key) continue;
      // Leaving first: the others stop counting us there at once, not after the silence.
      this.close(ifname, running, true);
    }
    if (this.leaving) return;
    for (const spec of specs) {
      if (this.running.has(spec.ifname)) continue;
      const key = JSON.stringify(spec.destination);
      const sink: EngineSink = {
        ...this.reports.sink,
        members: (members, changes) => {
          if (this.running.get(spec.ifname)?.engine === engine)
            this.reports.members(spec.ifname, members, changes);
        },
        log: (level, fields, msg) => this.reports.sink.log(level, { ...fields, segment: spec.ifname }, msg),
      };
      const engine = this.make(spec.destination, sink);
      this.running.set(spec.ifname, { key, engine });
      try {
        await engine.start();
        this.reports.sink.log(
          "info",
          { op: "membership", segment: spec.ifname, sendTo: spec.destination.sendTo },
          "beating on another announcing segment",
        );
      } catch (error) {
        this.running.delete(spec.ifname);
        engine.stop();
        this.reports.sink.log(
          "warn",
          {
            op: "membership",
            segment: spec.ifname,
            error: error instanceof Error ? error.message : String(error),
          },
          "cannot beat on an announcing segment: its IPs are elected by the bind address's segment",
        );
      }
    }
  }

  /** Leaving beats on every segment (the speaker stops). */
  async leave(): Promise<void> {
    this.leaving = true;
    await Promise.all([...this.running.values()].map((r) => r.engine.leave()));
  }

  stop(): void {
    for (const [ifname, running] of [...this.running]) this.close(ifname, running, false);
  }

  private close(ifname: string, running: Running, leave: boolean): void {
    this.running.delete(ifname);
    if (leave) void running.engine.leave().finally(() => running.engine.stop());
    else running.engine.stop();
    this.reports.members(ifname, undefined, []);
  }
}
