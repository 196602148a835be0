/**
 * The Layer 2 announcer: answers ARP and NDP for the IPs this node owns and announces takeovers
 * with gratuitous ARP / unsolicited NA (MetalLB §4.3, `internal/layer2/announcer.go`).
 *
 * It implements the speaker's Announcer contract (announcers/announcer.ts). The speaker calls
 * `setDesired({ configured, entries, excludeInterfaces, reannounce })` with the whole set of IPs this
 * node must answer for (the result of the L2 election), whenever it changes:
 * - `configured` false (the configuration has no L2Advertisement): no socket is open and the receive
 *   Worker is stopped, as a BGP-only speaker needs neither; true: sockets on every eligible interface
 *   even with no entries, so a node that owns nothing answers at once when it takes over;
 * - an IP that is new (or newly allowed on an interface) gets a gratuitous burst at once, then every
 *   GARP_INTERVAL_MS until GARP_DURATION_MS after the last trigger (MetalLB's spamLoop);
 * - an IP that is gone simply stops being answered; nothing is sent on withdrawal (like MetalLB: the
 *   new owner's burst moves the clients).
 * Shared IPs (several Services, one IP) are deduplicated here: entries with the same IP merge (their
 * services and interfaces unite; `interfaces: []` on any of them means every interface), so the caller
 * may pass one entry per Service or one per IP.
 *
 * - a `reannounce` count higher than the last one starts a burst for every announced IP (a peer
 *   rejoined after a partition: whoever owns an IP says so again, at once).
 * Interfaces are rescanned every RESCAN_INTERVAL_MS (and by `rescanInterfaces()` or when the
 * exclude patterns change): responders open on interfaces that became eligible and close on those
 * that went away, were excluded, went down or got enslaved. `status$` tells which interfaces have
 * a responder (the speaker reports `announceFailed` for advertisements naming none of them).
 */

import {
  asyncScheduler,
  BehaviorSubject,
  type Observable,
  type SchedulerLike,
  type Subscription,
} from "rxjs";
import { byCodeUnits } from "../../domain/code-unit-order.ts";
import { addressKey, formatIP, type IPFamily, parseIP } from "../../domain/ip/index.ts";
import type { Announcer, StopMode } from "../announcer.ts";
import { addressBytes } from "./addresses.ts";
import { gratuitousArpFrames } from "./arp.ts";
import { type DropReason, emptyDropCounts } from "./drop.ts";
import { bytesEqualAt } from "./ethernet.ts";
import { interfaceVerdict, type NetInterface, readInterfaces, type SkipReason } from "./interfaces.ts";
import type { LinkProtocol, LinkSocket, LinkSocketFactory } from "./link-socket.ts";
import { solicitedNodeMulticast, unsolicitedAdvertisementFrame } from "./ndp.ts";
import { PacketLinkSocketFactory } from "./packet-socket.ts";
import { type AnnouncedIp, allowsInterface, answerArp, answerNdp, type Verdict } from "./responder.ts";

/** MetalLB's burst: see https://github.com/metallb/metallb/issues/172 for 1100. */
export const GARP_INTERVAL_MS = 1100;
export const GARP_DURATION_MS = 5000;
/** MetalLB rescans interfaces every 10 s. */
export const RESCAN_INTERVAL_MS = 10_000;
/** How long a stopping speaker keeps answering after its "leaving" beats, so successors announce first. */
export const HANDOVER_OVERLAP_MS = 500;

export interface L2Entry {
  readonly ip: string;
  /** Interface names (L2Advertisement.interfaces); [] = every eligible interface. */
  readonly interfaces: readonly string[];
  /** Service keys ("ns/name") announcing this IP. */
  readonly services: readonly string[];
}

/** The Layer 2 announcer's whole desired set. */
export interface L2Desired {
  /** Layer 2 is configured at all (an L2Advertisement exists): sockets open, with or without entries. */
  readonly configured: boolean;
  readonly entries: readonly L2Entry[];
  /** Interface name patterns never used (the `metallb-excludel2` ConfigMap). */
  readonly excludeInterfaces: readonly RegExp[];
  /** Raised by one to make every owner announce its IPs again now (a member rejoined). */
  readonly reannounce: number;
}

/** The interfaces with a responder, sorted; undefined until the first scan and while not configured. */
export type L2Status = readonly string[] | undefined;

export interface L2Metrics {
  /** An ARP request / NS for an IP we announce, on an allowed interface (metallb_layer2_requests_received). */
  requestReceived(ip: string): void;
  /** metallb_layer2_responses_sent. */
  responseSent(ip: string): void;
  /** One gratuitous frame sent (metallb_layer2_gratuitous_sent): 2 per interface per ARP round, 1 per NA. */
  gratuitousSent(ip: string): void;
}

type LogFn = (fields: Record<string, unknown>, msg: string) => void;
/** The subset of pino's Logger used here. */
export interface L2Log {
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
}

export interface L2AnnouncerOptions {
  /**
   * Whether Layer 2 counts as configured until a `setDesired` says otherwise. Default true: start()
   * opens the sockets, as an announcer used on its own expects. The speaker passes false, so a
   * speaker whose configuration has no L2Advertisement never starts the receive Worker.
   */
  readonly configured?: boolean;
  /** Interface name patterns never used (the `metallb-excludel2` ConfigMap, parsed by the caller). */
  readonly excludeInterfaces: readonly RegExp[];
  /**
   * Opt-in: also send gratuitous ARP/NA for every announced IP every this many ms, forever (for
   * switches whose FDB ages out faster than clients re-ARP). Off (undefined or 0) by default, as MetalLB.
   */
  readonly periodicGratuitousMs?: number;
  readonly log?: L2Log;
  readonly metrics?: L2Metrics;
  /** Default: AF_PACKET sockets through bun:ffi (PacketLinkSocketFactory). */
  readonly linkSocketFactory?: () => LinkSocketFactory;
  /** Default: readInterfaces() (sysfs + /proc/net/if_inet6 of this network namespace). */
  readonly listInterfaces?: () => readonly NetInterface[];
  /** Timers and clock (tests pass a virtual one). Default: rxjs asyncScheduler. */
  readonly scheduler?: SchedulerLike;
  /** Default RESCAN_INTERVAL_MS. */
  readonly rescanIntervalMs?: number;
  /** stop("handover") keeps answering this long first. Default HANDOVER_OVERLAP_MS. */
  readonly handoverOverlapMs?: number;
}

export interface L2Stats {
  /** Layer 2 is configured: the sockets are (being) opened and the receive Worker runs. */
  readonly socketsOpen: boolean;
  readonly dropped: Record<DropReason, number>;
  readonly requestsReceived: number;
  readonly responsesSent: number;
  readonly gratuitousSent: number;
  /** Interfaces with a responder, and for which protocols. */
  readonly interfaces: ReadonlyArray<{ readonly name: string; readonly arp: boolean; readonly ndp: boolean }>;
  /** Interfaces without any responder, and why. */
  readonly skippedInterfaces: Readonly<Record<string, SkipReason>>;
  /** "iface/protocol" -> why its socket could not be opened (retried on every scan). */
  readonly openErrors: Readonly<Record<string, string>>;
  readonly announcedIps: number;
  /** desired entries whose IP did not parse (ignored). */
  readonly invalidIps: readonly string[];
  /** IPs in a gratuitous burst right now. */
  readonly activeBursts: number;
  /** Timers pending (rescan, burst, periodic): 0 after stop(). */
  readonly pendingTimers: number;
  readonly receiveErrors: number;
}

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString("hex");

/**
 * An entry's IP, parsed once. Its wire bytes are not kept: only a gratuitous burst needs them
 * (wireBytes), and a Uint8Array per IP cost about 340 bytes, 1.1 MB for the 3.4k IPs one speaker
 * announced at 10k Services.
 */
interface ParsedIp {
  /** domain/ip addressKey: the key of `owned` and `bursts`. */
  readonly key: number | string;
  /** Canonical text. */
  readonly text: string;
  readonly family: IPFamily;
  /** IPv6: the solicited-node multicast group to be in, and its hex (a map key). */
  readonly group: { readonly bytes: Uint8Array; readonly hex: string } | undefined;
}

function parseVip(text: string): ParsedIp | undefined {
  const address = parseIP(text);
  if (address === undefined) return undefined;
  const group = address.family === "ipv6" ? solicitedNodeMulticast(addressBytes(address)) : undefined;
  return {
    key: addressKey(address),
    text: formatIP(address),
    family: address.family,
    group: group && { bytes: group, hex: hex(group) },
  };
}

/** The 4 or 16 bytes of a parsed IP (its text is canonical, so it parses). */
function wireBytes(ip: ParsedIp): Uint8Array {
  return addressBytes(parseIP(ip.text)!);
}

interface Owned extends AnnouncedIp, ParsedIp {
  readonly services: readonly string[];
  /** The desired entry this was made from (undefined when merged from several). */
  readonly source: L2Entry | undefined;
}

/** An eligible interface and its responders. */
interface Port {
  iface: NetInterface & { readonly mac: Uint8Array };
  arp: LinkSocket | undefined;
  ndp: LinkSocket | undefined;
  /** Solicited-node groups joined on `ndp`, by hex. */
  groups: Map<string, Uint8Array>;
}

interface Burst {
  nextAt: number;
  until: number;
}

export class L2Announcer implements Announcer<L2Desired, L2Status> {
  readonly protocol = "layer2" as const;
  private readonly interfaces$ = new BehaviorSubject<L2Status>(undefined);
  readonly status$: Observable<L2Status> = this.interfaces$.asObservable();
  private reannounced = 0;
  private excludePrint: string;
  private readonly scheduler: SchedulerLike;
  private readonly listInterfaces: () => readonly NetInterface[];
  private readonly log: L2Log | undefined;
  private exclude: readonly RegExp[];
  /** Present while Layer 2 is configured and running: it owns the sockets and the receive Worker. */
  private factory: LinkSocketFactory | undefined;
  private configured: boolean;
  /** Factories closed while running (Layer 2 unconfigured): stop() waits for their Workers too. */
  private closingFactories: Promise<void> = Promise.resolve();
  private state: "new" | "running" | "stopped" = "new";
  /** stop("handover") has begun: still answering requests, announcing nothing more. */
  private leaving = false;
  private stopping: Promise<void> | undefined;

  private owned = new Map<number | string, Owned>();
  private parsed = new Map<string, ParsedIp>();
  private invalidIps: readonly string[] = [];
  private readonly ports = new Map<string, Port>();
  private skipped: Record<string, SkipReason> = {};
  private reportedInterfaces: string | undefined;
  private readonly openErrors = new Map<string, string>();
  /** Where each IP was announced after the last reconcile: a new (IP, port) pair starts a burst. */
  private announcedOn = new Map<number | string, ReadonlySet<Port>>();
  private readonly bursts = new Map<number | string, Burst>();

  private burstTimer: Subscription | undefined;
  private burstTimerAt = Number.POSITIVE_INFINITY;
  private rescanTimer: Subscription | undefined;
  private earlyRescan: Subscription | undefined;
  private periodicTimer: Subscription | undefined;

  private readonly dropped = emptyDropCounts();
  private counts = { requestsReceived: 0, responsesSent: 0, gratuitousSent: 0, receiveErrors: 0 };

  constructor(private readonly opts: L2AnnouncerOptions) {
    this.scheduler = opts.scheduler ?? asyncScheduler;
    this.listInterfaces = opts.listInterfaces ?? (() => readInterfaces());
    this.log = opts.log;
    this.exclude = opts.excludeInterfaces;
    this.configured = opts.configured ?? true;
    this.excludePrint = opts.excludeInterfaces.map(String).join(" ");
  }

  /** Opens responders on the eligible interfaces (if Layer 2 is configured) and starts the periodic work. */
  async start(): Promise<void> {
    if (this.state !== "new") return;
    this.state = "running";
    if (this.configured) this.openLink("started with Layer 2 configured");
    this.schedulePeriodic();
  }

  /** The contract's whole desired set: whether Layer 2 is configured, entries, exclude patterns, reannounce count. */
  setDesired(desired: L2Desired): void {
    if (this.state === "stopped") return;
    const print = desired.excludeInterfaces.map(String).join(" ");
    if (print !== this.excludePrint) {
      this.excludePrint = print;
      this.setExcludeInterfaces(desired.excludeInterfaces);
    }
    // Before the entries: IPs given with the first L2Advertisement burst on the sockets just opened.
    this.setConfigured(desired.configured);
    this.setEntries(desired.entries);
    if (desired.reannounce > this.reannounced) {
      this.reannounced = desired.reannounce;
      this.announceNow();
    }
  }

  /** The whole set of IPs to answer for. Safe before start() (applied when it opens responders). */
  setEntries(entries: readonly L2Entry[]): void {
    if (this.state === "stopped") return;
    const owned = new Map<number | string, Owned>();
    const invalid: string[] = [];
    const parsed = new Map<string, ParsedIp | undefined>();
    for (const entry of entries) {
      let ip = parsed.get(entry.ip);
      if (ip === undefined && !parsed.has(entry.ip)) {
        ip = this.parsed.get(entry.ip) ?? parseVip(entry.ip);
        parsed.set(entry.ip, ip);
      }
      if (ip === undefined) {
        invalid.push(entry.ip);
        continue;
      }
      const before = owned.get(ip.key);
      if (before === undefined) {
        // The same entry object as last call (the speaker's reconcile keeps an unchanged
        // Service's entries): keep its Owned too, so an unchanged set allocates nothing to keep.
        const last = this.owned.get(ip.key);
        owned.set(
          ip.key,
          last !== undefined && last.source === entry
            ? last
            : {
                ...ip,
                interfaces: entry.interfaces.length === 0 ? undefined : new Set(entry.interfaces),
                services: entry.services,
                source: entry,
              },
        );
        continue;
      }
      owned.set(ip.key, {
        ...ip,
        interfaces:
          entry.interfaces.length === 0 || before.interfaces === undefined
            ? undefined
            : new Set([...before.interfaces, ...entry.interfaces]),
        services: [...new Set([...before.services, ...entry.services])],
        source: undefined,
      });
    }
    // Parsing is the bulk of a call with thousands of IPs: keep this call's results for the next one.
    this.parsed = new Map([...parsed].filter((e): e is [string, ParsedIp] => e[1] !== undefined));
    if (invalid.length > 0 && invalid.join() !== this.invalidIps.join()) {
      this.log?.warn({ op: "setDesired", ips: invalid }, "ignoring entries whose IP does not parse");
    }
    this.invalidIps = invalid;
    this.owned = owned;
    this.reconcile();
  }

  setExcludeInterfaces(patterns: readonly RegExp[]): void {
    this.exclude = patterns;
    if (this.state === "running") this.rescanInterfaces();
  }

  /**
   * Opens the sockets (and so the receive Worker) while Layer 2 is configured, closes them when it
   * no longer is. Before start() it only says what start() does.
   */
  setConfigured(configured: boolean): void {
    if (this.state === "stopped" || configured === this.configured) return;
    this.configured = configured;
    if (this.state !== "running") return;
    if (configured) this.openLink("an L2Advertisement is configured");
    else this.closeLink("no L2Advertisement is configured");
  }

  /** Starts a gratuitous burst now for these announced IPs (default: all), e.g. after a partition heals. */
  announceNow(ips?: readonly string[]): void {
    if (this.state !== "running" || this.factory === undefined) return;
    const wanted = ips?.map((ip) => parseIP(ip)).filter((a) => a !== undefined);
    const keys = wanted ? wanted.map(addressKey) : [...this.owned.keys()];
    for (const key of keys) {
      const ip = this.owned.get(key);
      if (ip) this.trigger(ip);
    }
    this.armBurstTimer();
  }

  /** Re-reads the interfaces now (also runs every RESCAN_INTERVAL_MS). */
  rescanInterfaces(): void {
    if (this.state !== "running" || this.factory === undefined) return;
    const wanted = new Map<
      string,
      { iface: NetInterface & { mac: Uint8Array }; arp: boolean; ndp: boolean }
    >();
    const skipped: Record<string, SkipReason> = {};
    for (const iface of this.listInterfaces()) {
      const verdict = interfaceVerdict(iface, this.exclude);
      if (verdict.skipped !== undefined || iface.mac === undefined)
        skipped[iface.name] = verdict.skipped ?? "notEthernet";
      else
        wanted.set(iface.name, { iface: { ...iface, mac: iface.mac }, arp: verdict.arp, ndp: verdict.ndp });
    }
    this.skipped = skipped;
    for (const [name, port] of this.ports) {
      const w = wanted.get(name);
      const same =
        w !== undefined && w.iface.index === port.iface.index && bytesEqualAt(w.iface.mac, 0, port.iface.mac);
      if (!same || !w.arp) this.closeSocket(port, "arp");
      if (!same || !w.ndp) this.closeSocket(port, "ndp");
      // Another interface under the same name (or a new MAC) is a new port: its IPs get a burst.
      if (same) port.iface = w.iface;
      if (!same || (!port.arp && !port.ndp)) this.ports.delete(name);
    }
    for (const [name, w] of wanted) {
      let port = this.ports.get(name);
      if (!port) {
        port = { iface: w.iface, arp: undefined, ndp: undefined, groups: new Map() };
        this.ports.set(name, port);
      }
      if (w.arp && !port.arp) port.arp = this.openSocket(port, "arp");
      if (w.ndp && !port.ndp) port.ndp = this.openSocket(port, "ndp");
      if (!port.arp && !port.ndp) this.ports.delete(name);
    }
    const names = [...this.ports.keys()].sort();
    if (names.join("\n") !== this.reportedInterfaces) {
      this.reportedInterfaces = names.join("\n");
      this.interfaces$.next(names);
    }
    this.reconcile();
  }

  stats(): L2Stats {
    return {
      socketsOpen: this.factory !== undefined,
      dropped: { ...this.dropped },
      ...this.counts,
      interfaces: [...this.ports.values()]
        .map((p) => ({ name: p.iface.name, arp: p.arp !== undefined, ndp: p.ndp !== undefined }))
        .sort((a, b) => byCodeUnits(a.name, b.name)),
      skippedInterfaces: { ...this.skipped },
      openErrors: Object.fromEntries(this.openErrors),
      announcedIps: this.owned.size,
      invalidIps: this.invalidIps,
      activeBursts: this.bursts.size,
      pendingTimers: this.timers().length,
    };
  }

  /**
   * Closes every socket, stops the receive Worker and every timer. Sends nothing. "handover" keeps
   * answering for the overlap first: the others were told we leave, and take over meanwhile. While
   * it overlaps it announces nothing of its own: a gratuitous ARP/NA of ours after the successor's
   * would turn clients' neighbour entries back to us, and their connections with them (the new
   * owner's next gratuitous round turns them once more, and a connection that changed node
   * mid-way is dropped there as conntrack-invalid).
   */
  stop(how: StopMode = "now"): Promise<void> {
    this.stopping ??= (async () => {
      if (how === "handover" && this.state === "running") {
        this.leaving = true;
        for (const t of [this.burstTimer, this.periodicTimer]) t?.unsubscribe();
        this.burstTimer = this.periodicTimer = undefined;
        this.burstTimerAt = Number.POSITIVE_INFINITY;
        this.bursts.clear();
        await Bun.sleep(this.opts.handoverOverlapMs ?? HANDOVER_OVERLAP_MS);
      }
      await this.shutdown();
      this.interfaces$.complete();
    })();
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    const wasRunning = this.state === "running";
    this.state = "stopped";
    for (const t of this.timers()) t.unsubscribe();
    this.burstTimer = this.rescanTimer = this.periodicTimer = this.earlyRescan = undefined;
    this.bursts.clear();
    this.closePorts();
    if (wasRunning) await Promise.all([this.factory?.close(), this.closingFactories]);
    this.factory = undefined;
  }

  private timers(): Subscription[] {
    return [this.burstTimer, this.rescanTimer, this.periodicTimer, this.earlyRescan].filter(
      (t) => t !== undefined,
    );
  }

  private now(): number {
    return this.scheduler.now();
  }

  // ---- sockets -------------------------------------------------------------------------------------

  /** A new factory (the Worker starts with its first socket), the sockets, and the rescans. */
  private openLink(reason: string): void {
    const factory = this.opts.linkSocketFactory?.() ?? new PacketLinkSocketFactory();
    factory.onReceiveError = (iface, protocol, error) => {
      this.counts.receiveErrors++;
      this.log?.warn({ op: "l2Receive", interface: iface, protocol, error }, "receive error");
      // Typically ENETDOWN: the interface went down or away. Look now rather than at the next scan.
      if (this.state === "running" && this.factory === factory && !this.earlyRescan) {
        this.earlyRescan = this.scheduler.schedule(() => {
          this.earlyRescan = undefined;
          this.rescanInterfaces();
        }, 0);
      }
    };
    this.factory = factory;
    this.rescanInterfaces();
    this.scheduleRescan();
    this.log?.info(
      { op: "l2Sockets", reason, interfaces: [...this.ports.keys()].sort() },
      "layer 2 sockets opened",
    );
  }

  /**
   * Closes every socket and the factory (its Worker stops), ends bursts and rescans. The entries
   * stay: they are answered again if Layer 2 comes back.
   */
  private closeLink(reason: string): void {
    for (const t of [this.burstTimer, this.rescanTimer, this.earlyRescan]) t?.unsubscribe();
    this.burstTimer = this.rescanTimer = this.earlyRescan = undefined;
    this.burstTimerAt = Number.POSITIVE_INFINITY;
    this.bursts.clear();
    this.closePorts();
    this.skipped = {};
    this.openErrors.clear();
    const factory = this.factory;
    this.factory = undefined;
    if (factory !== undefined) {
      const closed = factory.close().catch((error: unknown) => {
        this.log?.warn({ op: "l2Sockets", error: String(error) }, "stopping the receive worker failed");
      });
      this.closingFactories = Promise.all([this.closingFactories, closed]).then(() => undefined);
    }
    this.log?.info({ op: "l2Sockets", reason }, "layer 2 sockets closed");
    this.reportedInterfaces = undefined;
    this.interfaces$.next(undefined);
  }

  private closePorts(): void {
    for (const port of this.ports.values()) {
      this.closeSocket(port, "arp");
      this.closeSocket(port, "ndp");
    }
    this.ports.clear();
    this.announcedOn.clear();
  }

  private openSocket(port: Port, protocol: LinkProtocol): LinkSocket | undefined {
    const key = `${port.iface.name}/${protocol}`;
    try {
      const socket = this.factory!.open(port.iface, protocol, (frame) => this.onFrame(port, protocol, frame));
      if (this.openErrors.delete(key))
        this.log?.info({ op: "l2Interface", interface: key }, "socket opened after earlier failure");
      this.log?.info({ op: "l2Interface", interface: port.iface.name, protocol }, "responder started");
      return socket;
    } catch (err) {
      const error = (err as Error).message;
      if (this.openErrors.get(key) !== error) {
        this.log?.error(
          { op: "l2Interface", interface: port.iface.name, protocol, error },
          "cannot open responder",
        );
      }
      this.openErrors.set(key, error);
      return undefined;
    }
  }

  private closeSocket(port: Port, protocol: LinkProtocol): void {
    const socket = port[protocol];
    if (!socket) return;
    socket.close();
    port[protocol] = undefined;
    if (protocol === "ndp") port.groups.clear();
    if (this.state === "running") {
      this.log?.info({ op: "l2Interface", interface: port.iface.name, protocol }, "responder stopped");
    }
  }

  // ---- answering -----------------------------------------------------------------------------------

  private readonly lookup = (key: number | string): AnnouncedIp | undefined => this.owned.get(key);

  private onFrame(port: Port, protocol: LinkProtocol, frame: Uint8Array): void {
    if (this.state !== "running") return;
    const socket = port[protocol];
    if (!socket) return;
    const verdict: Verdict =
      protocol === "arp"
        ? answerArp(frame, port.iface, this.lookup)
        : answerNdp(frame, port.iface, this.lookup);
    if ("drop" in verdict) {
      this.dropped[verdict.drop]++;
      if (verdict.drop === "notMatchInterface" || verdict.drop === "sendFailed") {
        this.log?.debug(
          { op: `${protocol}RequestIgnore`, interface: port.iface.name, reason: verdict.drop },
          "request ignored",
        );
      }
      return;
    }
    this.counts.requestsReceived++;
    this.opts.metrics?.requestReceived(verdict.ip);
    const error = socket.send(verdict.reply);
    if (error !== undefined) {
      this.dropped.sendFailed++;
      this.log?.warn(
        { op: `${protocol}Reply`, interface: port.iface.name, ip: verdict.ip, error },
        "failed to send reply",
      );
      return;
    }
    this.counts.responsesSent++;
    this.opts.metrics?.responseSent(verdict.ip);
  }

  // ---- what is announced where ---------------------------------------------------------------------

  /** The socket of `port` that may announce `ip`, if any. */
  private socketFor(ip: Owned, port: Port): LinkSocket | undefined {
    const socket = ip.family === "ipv4" ? port.arp : port.ndp;
    return socket && allowsInterface(ip, port.iface.name) ? socket : undefined;
  }

  /** Brings multicast memberships and bursts in line with (owned IPs x ports). */
  private reconcile(): void {
    if (this.state !== "running") return;
    const announcedOn = new Map<number | string, ReadonlySet<Port>>();
    const sharedSets = new Map<string, ReadonlySet<Port>>();
    const fresh: Owned[] = [];
    const groups = new Map<Port, Map<string, Uint8Array>>();
    for (const ip of this.owned.values()) {
      const before = this.announcedOn.get(ip.key);
      let count = 0;
      let isFresh = false;
      for (const port of this.ports.values()) {
        if (this.socketFor(ip, port) === undefined) continue;
        count++;
        if (!before?.has(port)) isFresh = true;
        if (ip.group) {
          const wanted = groups.get(port) ?? new Map<string, Uint8Array>();
          groups.set(port, wanted);
          wanted.set(ip.group.hex, ip.group.bytes);
        }
      }
      // Last call's set when nothing changed: this runs on every reconcile for every owned IP,
      // and a new Set each time was garbage the heap keeps half-empty blocks for (see setDesired).
      // A changed one is shared with the other IPs announced on the same ports (most IPs are on
      // every eligible interface): a Set of one port costs about 250 bytes, 0.8 MB for the 3.4k
      // IPs one speaker announced at 10k Services. Never mutated, so sharing is safe.
      const unchanged = before !== undefined && !isFresh && before.size === count;
      if (unchanged) announcedOn.set(ip.key, before);
      else {
        const on = [...this.ports.values()].filter((port) => this.socketFor(ip, port));
        const key = on.map((port) => port.iface.name).join("\n");
        let set = sharedSets.get(key);
        if (set === undefined) {
          set = new Set(on);
          sharedSets.set(key, set);
        }
        announcedOn.set(ip.key, set);
      }
      if (isFresh) fresh.push(ip);
    }
    this.announcedOn = announcedOn;
    for (const port of this.ports.values()) this.syncGroups(port, groups.get(port) ?? new Map());
    for (const ip of this.bursts.keys()) if (!this.owned.has(ip)) this.bursts.delete(ip);
    for (const ip of fresh) this.trigger(ip);
    this.armBurstTimer();
  }

  private syncGroups(port: Port, wanted: Map<string, Uint8Array>): void {
    const socket = port.ndp;
    if (!socket) return;
    for (const [key, group] of port.groups) {
      if (wanted.has(key)) continue;
      const error = socket.leaveGroup(group);
      if (error)
        this.log?.warn(
          { op: "ndpLeave", interface: port.iface.name, group: key, error },
          "leaving group failed",
        );
      port.groups.delete(key);
    }
    for (const [key, group] of wanted) {
      if (port.groups.has(key)) continue;
      const error = socket.joinGroup(group);
      if (error) {
        // Retried on the next reconcile (at the latest the next interface scan).
        this.log?.warn(
          { op: "ndpJoin", interface: port.iface.name, group: key, error },
          "joining group failed",
        );
        continue;
      }
      port.groups.set(key, group);
    }
  }

  // ---- gratuitous announcements --------------------------------------------------------------------

  /**
   * Sends `ip`'s gratuitous round now and starts or extends its burst; the caller arms the timer once
   * afterwards. A trigger means something new (an IP, or an interface or MAC for it), so unlike
   * MetalLB's spamLoop it sends at once even when a burst is already running.
   */
  private trigger(ip: Owned): void {
    const now = this.now();
    this.sendGratuitous(ip);
    const burst = this.bursts.get(ip.key);
    if (burst) burst.until = now + GARP_DURATION_MS;
    else this.bursts.set(ip.key, { nextAt: now + GARP_INTERVAL_MS, until: now + GARP_DURATION_MS });
  }

  private armBurstTimer(): void {
    if (this.state !== "running") return;
    let next = Number.POSITIVE_INFINITY;
    for (const b of this.bursts.values()) next = Math.min(next, b.nextAt);
    if (next === this.burstTimerAt && this.burstTimer) return;
    this.burstTimer?.unsubscribe();
    this.burstTimer = undefined;
    this.burstTimerAt = next;
    if (next === Number.POSITIVE_INFINITY) return;
    this.burstTimer = this.scheduler.schedule(
      () => {
        this.burstTimer = undefined;
        this.burstTimerAt = Number.POSITIVE_INFINITY;
        this.onBurstTick();
      },
      Math.max(0, next - this.now()),
    );
  }

  private onBurstTick(): void {
    if (this.state !== "running") return;
    const now = this.now();
    for (const [key, burst] of this.bursts) {
      if (burst.nextAt > now) continue;
      const ip = this.owned.get(key);
      if (!ip || now > burst.until) {
        this.bursts.delete(key);
        continue;
      }
      this.sendGratuitous(ip);
      burst.nextAt = Math.max(burst.nextAt + GARP_INTERVAL_MS, now + 1);
    }
    this.armBurstTimer();
  }

  private sendGratuitous(ip: Owned): void {
    if (this.leaving) return;
    const bytes = wireBytes(ip);
    for (const port of this.ports.values()) {
      const socket = this.socketFor(ip, port);
      if (socket === undefined) continue;
      const frames =
        ip.family === "ipv4"
          ? gratuitousArpFrames(port.iface.mac, bytes)
          : [unsolicitedAdvertisementFrame(port.iface.mac, bytes)];
      for (const frame of frames) {
        const error = socket.send(frame);
        if (error !== undefined) {
          this.log?.warn(
            { op: "gratuitous", interface: port.iface.name, ip: ip.text, error },
            "failed to send",
          );
          continue;
        }
        this.counts.gratuitousSent++;
        this.opts.metrics?.gratuitousSent(ip.text);
      }
    }
  }

  // ---- periodic work -------------------------------------------------------------------------------

  private scheduleRescan(): void {
    if (this.state !== "running") return;
    this.rescanTimer = this.scheduler.schedule(() => {
      this.rescanTimer = undefined;
      this.rescanInterfaces();
      this.scheduleRescan();
    }, this.opts.rescanIntervalMs ?? RESCAN_INTERVAL_MS);
  }

  private schedulePeriodic(): void {
    const every = this.opts.periodicGratuitousMs ?? 0;
    if (this.state !== "running" || !(every > 0)) return;
    this.periodicTimer = this.scheduler.schedule(() => {
      this.periodicTimer = undefined;
      if (this.state !== "running") return;
      // IPs in a burst are being announced anyway.
      for (const ip of this.owned.values()) if (!this.bursts.has(ip.key)) this.sendGratuitous(ip);
      this.schedulePeriodic();
    }, every);
  }
}
