/**
 * What to answer to one received frame, as a pure function of the frame, the receiving interface and
 * the IPs we announce (MetalLB `internal/layer2/arp.go`, `ndp.go`, `announcer.go` shouldAnnounce):
 *
 * - ARP: only requests (`arpReply` otherwise), only to broadcast or our MAC (`ethernetDestination`),
 *   only for an IP we announce (`announceIP`) on this interface (`notMatchInterface`); the reply says
 *   "IP is-at <MAC of the receiving interface>", unicast to the requester.
 * - NDP: only Neighbor Solicitations (`messageType`), to an IPv6 multicast MAC or ours
 *   (`ethernetDestination`), carrying a source link-layer address option (`noSourceLL`: DAD probes
 *   have none), for an IP we announce on this interface; the answer is a solicited NA with
 *   Override = 0 and our MAC as target link-layer address.
 */
import { addressKey } from "../../domain/ip/index.ts";
import { addressFromBytes } from "./addresses.ts";
import { ARP_REQUEST, arpReplyFrame, decodeArpFrame } from "./arp.ts";
import type { DropReason } from "./drop.ts";
import { bytesEqualAt, isBroadcastAt, MAC_BYTES } from "./ethernet.ts";
import { decodeNdpFrame, solicitedAdvertisementFrame } from "./ndp.ts";

/** An IP we announce, as the responder needs it. */
export interface AnnouncedIp {
  /** Canonical text (metrics label, logs). */
  readonly text: string;
  /** Interfaces it may be announced on (L2Advertisement.interfaces); undefined = every eligible one. */
  readonly interfaces: ReadonlySet<string> | undefined;
}

/** Finds an announced IP by domain/ip addressKey (number for IPv4, "6:<hex>" for IPv6). */
export type AnnouncedLookup = (key: number | string) => AnnouncedIp | undefined;

export interface ReceivingInterface {
  readonly name: string;
  readonly mac: Uint8Array;
}

export type Verdict =
  | { readonly reply: Uint8Array; readonly ip: string }
  | { readonly drop: DropReason; readonly ip?: string };

export function allowsInterface(ip: AnnouncedIp, iface: string): boolean {
  return ip.interfaces === undefined || ip.interfaces.has(iface);
}

function announced(key: number | string, iface: string, lookup: AnnouncedLookup): AnnouncedIp | DropReason {
  const ip = lookup(key);
  if (ip === undefined) return "announceIP";
  return allowsInterface(ip, iface) ? ip : "notMatchInterface";
}

export function answerArp(frame: Uint8Array, iface: ReceivingInterface, lookup: AnnouncedLookup): Verdict {
  const decoded = decodeArpFrame(frame, iface.mac);
  if (!decoded.ok) return { drop: decoded.reason };
  const arp = decoded.value;
  if (arp.operation !== ARP_REQUEST) return { drop: "arpReply" };
  if (!isBroadcastAt(frame, 0) && !bytesEqualAt(frame, 0, iface.mac, 0, MAC_BYTES)) {
    return { drop: "ethernetDestination" };
  }
  const t = arp.targetIp;
  const ip = announced(((t[0]! << 24) | (t[1]! << 16) | (t[2]! << 8) | t[3]!) >>> 0, iface.name, lookup);
  if (typeof ip === "string") return { drop: ip };
  return { reply: arpReplyFrame(arp, iface.mac), ip: ip.text };
}

export function answerNdp(frame: Uint8Array, iface: ReceivingInterface, lookup: AnnouncedLookup): Verdict {
  const decoded = decodeNdpFrame(frame, iface.mac);
  if (!decoded.ok) return { drop: decoded.reason };
  const ns = decoded.value;
  if (ns.kind !== "ns") return { drop: "messageType" };
  // IPv6 multicast MACs start 33:33; a unicast NS (NUD probe) comes to our MAC.
  if (!(frame[0] === 0x33 && frame[1] === 0x33) && !bytesEqualAt(frame, 0, iface.mac, 0, MAC_BYTES)) {
    return { drop: "ethernetDestination" };
  }
  const linkLayer = ns.linkLayer;
  if (linkLayer === undefined) return { drop: "noSourceLL" };
  const ip = announced(addressKey(addressFromBytes(ns.target)), iface.name, lookup);
  if (typeof ip === "string") return { drop: ip };
  return { reply: solicitedAdvertisementFrame({ ...ns, linkLayer }, iface.mac), ip: ip.text };
}
