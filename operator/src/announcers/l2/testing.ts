/**
 * Helpers for the unit tests of announcers/l2: hex fixtures, a hand-cranked scheduler, interfaces.
 */
import { type SchedulerAction, type SchedulerLike, Subscription } from "rxjs";
import { parseMac } from "./ethernet.ts";
import { ARPHRD_ETHER, IFF_BROADCAST, IFF_UP, type NetInterface } from "./interfaces.ts";

/** "ffff ffff 0242 ..." (tcpdump -xx style, any whitespace) -> bytes. */
export function fromHex(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, "");
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("hex");
}

export function mac(text: string): Uint8Array {
  const m = parseMac(text);
  if (!m) throw new Error(`bad MAC ${text}`);
  return m;
}

interface Timer {
  readonly due: number;
  readonly seq: number;
  readonly run: () => void;
  readonly subscription: Subscription;
}

/** Virtual time: timers run only inside advance(), in due order. */
export class ManualScheduler implements SchedulerLike {
  private time = 0;
  private seq = 0;
  private timers: Timer[] = [];

  now(): number {
    return this.time;
  }

  schedule<T>(work: (this: SchedulerAction<T>, state?: T) => void, delay = 0, state?: T): Subscription {
    const subscription = new Subscription(() => {
      this.timers = this.timers.filter((t) => t !== timer);
    });
    const timer: Timer = {
      due: this.time + Math.max(0, delay),
      seq: this.seq++,
      run: () => work.call(subscription as unknown as SchedulerAction<T>, state),
      subscription,
    };
    this.timers.push(timer);
    return subscription;
  }

  /** Moves the clock forward by `ms`, running every timer that falls due on the way. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const next = [...this.timers].sort((a, b) => a.due - b.due || a.seq - b.seq)[0];
      if (!next || next.due > end) break;
      this.time = next.due;
      next.subscription.unsubscribe();
      next.run();
    }
    this.time = end;
  }

  pending(): number {
    return this.timers.length;
  }
}

export const WORKER_MAC = "02:42:ac:12:00:03";
export const WORKER_LINK_LOCAL = fromHex("fe80 0000 0000 0000 0042 acff fe12 0003");

export function ethernetInterface(
  name: string,
  index: number,
  overrides: Partial<NetInterface> = {},
): NetInterface {
  return {
    name,
    index,
    type: ARPHRD_ETHER,
    flags: IFF_UP | IFF_BROADCAST,
    mac: mac(`02:42:ac:12:00:${index.toString(16).padStart(2, "0")}`),
    hasMaster: false,
    linkLocal: fromHex(`fe80 0000 0000 0000 0042 acff fe12 00${index.toString(16).padStart(2, "0")}`),
    ...overrides,
  };
}
