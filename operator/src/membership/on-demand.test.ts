import { describe, expect, test } from "bun:test";
import { BehaviorSubject, ReplaySubject } from "rxjs";
import type { MembershipLog, SegmentMembers } from "./membership.ts";
import { OnDemandMembership, type StartableMembership } from "./on-demand.ts";

/** A membership whose start, warm-up and stop the test drives. */
class FakeMembership implements StartableMembership {
  readonly subject = new ReplaySubject<ReadonlySet<string>>(1);
  readonly members$ = this.subject.asObservable();
  readonly segmentsSubject = new BehaviorSubject<readonly SegmentMembers[]>([]);
  readonly segments$ = this.segmentsSubject.asObservable();
  readonly announcing: (readonly string[])[] = [];
  readonly calls: string[] = [];
  failStart: Error | undefined;

  setAnnouncing(interfaces: readonly string[]): void {
    this.announcing.push(interfaces);
  }
  async start(): Promise<void> {
    this.calls.push("start");
    if (this.failStart) throw this.failStart;
  }
  async leave(): Promise<void> {
    this.calls.push("leave");
  }
  async stop(): Promise<void> {
    this.calls.push("stop");
    this.subject.complete();
  }
  warm(...members: string[]): void {
    this.subject.next(new Set(members));
  }
}

function setup(options: { failFirst?: boolean } = {}) {
  const made: FakeMembership[] = [];
  const logs: string[] = [];
  const at = (level: string) => (_fields: object, msg: string) => logs.push(`${level}: ${msg}`);
  const log: MembershipLog = { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
  let now = 0;
  const onDemand = new OnDemandMembership(
    () => {
      const m = new FakeMembership();
      if (options.failFirst && made.length === 0) m.failStart = new Error("EADDRINUSE");
      made.push(m);
      return m;
    },
    log,
    () => now,
  );
  const seen: string[][] = [];
  onDemand.members$.subscribe((s) => seen.push([...s]));
  return {
    onDemand,
    made,
    logs,
    seen,
    advance: (ms: number) => {
      now += ms;
    },
  };
}

const settle = () => Bun.sleep(0);

describe("OnDemandMembership", () => {
  test("not wanted at first: no membership, and members$ says nobody at once", async () => {
    const { onDemand, made, seen } = setup();
    onDemand.setWanted(false);
    await settle();
    expect(made).toHaveLength(0);
    expect(seen).toEqual([[]]);
    expect(onDemand.active).toBe(false);
    await onDemand.stop();
  });

  test("wanted at first: nothing on members$ until the membership's warm-up, then its members", async () => {
    const { onDemand, made, seen } = setup();
    onDemand.setWanted(true);
    await settle();
    expect(made).toHaveLength(1);
    expect(onDemand.active).toBe(true);
    expect(seen).toEqual([]);
    made[0]!.warm("a", "b");
    expect(seen).toEqual([["a", "b"]]);
    await onDemand.stop();
    expect(made[0]!.calls).toEqual(["start", "stop"]);
  });

  test("no longer wanted: leaves, stops, says nobody; wanted again: a new one, nobody until it warms", async () => {
    const { onDemand, made, seen } = setup();
    onDemand.setWanted(true);
    await settle();
    made[0]!.warm("a", "b");
    onDemand.setWanted(false);
    onDemand.setWanted(false);
    await settle();
    expect(made[0]!.calls).toEqual(["start", "leave", "stop"]);
    expect(onDemand.active).toBe(false);
    expect(seen).toEqual([["a", "b"], []]);
    onDemand.setWanted(true);
    await settle();
    expect(made).toHaveLength(2);
    expect(seen).toEqual([["a", "b"], []]);
    made[1]!.warm("a");
    expect(seen).toEqual([["a", "b"], [], ["a"]]);
    await onDemand.stop();
  });

  test("changes never overlap: a flip during a start stops it once started", async () => {
    const { onDemand, made } = setup();
    onDemand.setWanted(true);
    onDemand.setWanted(false);
    onDemand.setWanted(true);
    onDemand.setWanted(false);
    await settle();
    await settle();
    expect(made).toHaveLength(1);
    expect(made[0]!.calls).toEqual(["start", "leave", "stop"]);
    expect(onDemand.active).toBe(false);
    await onDemand.stop();
  });

  test("a failed start is logged, says nobody, and is tried again only after a while", async () => {
    const { onDemand, made, logs, seen, advance } = setup({ failFirst: true });
    onDemand.setWanted(true);
    await settle();
    expect(made[0]!.calls).toEqual(["start", "stop"]);
    expect(logs.filter((l) => l.startsWith("error"))).toHaveLength(1);
    expect(seen).toEqual([[]]);
    onDemand.setWanted(true);
    await settle();
    expect(made).toHaveLength(1);
    advance(5_000);
    onDemand.setWanted(true);
    await settle();
    expect(made).toHaveLength(2);
    expect(onDemand.active).toBe(true);
    await onDemand.stop();
  });

  test("the announcing interfaces reach each membership started; its segments pass through, none once stopped", async () => {
    const { onDemand, made } = setup();
    const segments: string[][] = [];
    onDemand.segments$.subscribe((list) => segments.push(list.map((s) => `${s.ifname}:${[...s.members]}`)));
    onDemand.setAnnouncing(["eth0", "eth1"]);
    onDemand.setWanted(true);
    await settle();
    expect(made[0]!.announcing).toEqual([["eth0", "eth1"]]);
    onDemand.setAnnouncing(["eth0"]);
    expect(made[0]!.announcing.at(-1)).toEqual(["eth0"]);
    made[0]!.segmentsSubject.next([
      { ifname: "eth1", prefixes: ["172.19.0.0/24"], members: new Set(["a", "b"]) },
    ]);
    onDemand.setWanted(false);
    await settle();
    onDemand.setWanted(true);
    await settle();
    expect(made[1]!.announcing).toEqual([["eth0"]]);
    expect(segments).toEqual([[], ["eth1:a,b"], []]);
    await onDemand.stop();
  });

  test("leave reaches the running membership; stop completes members$ and ignores later calls", async () => {
    const { onDemand, made } = setup();
    let completed = false;
    onDemand.members$.subscribe({ complete: () => (completed = true) });
    onDemand.setWanted(true);
    await onDemand.leave();
    expect(made[0]!.calls).toEqual(["start", "leave"]);
    await onDemand.stop();
    expect(completed).toBe(true);
    onDemand.setWanted(true);
    await settle();
    expect(made).toHaveLength(1);
  });
});
