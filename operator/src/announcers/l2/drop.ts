/**
 * Why a received frame got no answer. The same strings appear in logs, `stats().dropped` and test
 * assertions. MetalLB's own reasons (`internal/layer2`) keep their names: `arpReply`,
 * `ethernetDestination`, `messageType`, `noSourceLL`, `announceIP` (not an IP we announce) and
 * `notMatchInterface`; the rest come from our total decoders and the socket layer.
 */
export const DROP_REASONS = [
  /** Shorter than the headers or lengths it claims. */
  "truncated",
  /** Longer than MAX_FRAME_BYTES. */
  "oversized",
  /** Not the ethertype the socket is for (ARP 0x0806 / IPv6 0x86dd). */
  "wrongEtherType",
  /** Fields no valid packet has: ARP hardware/protocol sizes, IPv6 version, zero-length options, ... */
  "malformed",
  /** Sent from the receiving interface's own MAC (our own or the kernel's packets). */
  "selfSent",
  /** ARP operation other than request (MetalLB: dropReasonARPReply). */
  "arpReply",
  /** Ethernet destination neither broadcast/multicast nor our MAC (MetalLB: dropReasonEthernetDestination). */
  "ethernetDestination",
  /** IPv6 frame that is not ICMPv6 or not a Neighbor Solicitation (MetalLB: dropReasonMessageType). */
  "messageType",
  /** IPv6 hop limit other than 255 (RFC 4861 §7.1.1: the packet may come from off-link). */
  "badHopLimit",
  /** ICMPv6 checksum over the pseudo-header does not verify (RFC 4443 §2.3). */
  "badChecksum",
  /** Neighbor Solicitation without a source link-layer address option, e.g. DAD (MetalLB: dropReasonNoSourceLL). */
  "noSourceLL",
  /** The target is not an IP we announce (MetalLB: dropReasonAnnounceIP). */
  "announceIP",
  /** We announce the IP, but not on this interface (L2Advertisement.interfaces; MetalLB: dropReasonNotMatchInterface). */
  "notMatchInterface",
  /** The answer could not be sent (the socket said why; logged). */
  "sendFailed",
] as const;

export type DropReason = (typeof DROP_REASONS)[number];

export function emptyDropCounts(): Record<DropReason, number> {
  const counts = {} as Record<DropReason, number>;
  for (const reason of DROP_REASONS) counts[reason] = 0;
  return counts;
}

/** The result of a decoder: the value, or why the frame is dropped. Decoders never throw. */
export type Decoded<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly reason: DropReason };

export function dropped<T>(reason: DropReason): Decoded<T> {
  return { ok: false, reason };
}
