/**
 * The announcer's only contact with the network: one socket per (interface, protocol) that receives
 * whole Ethernet frames and sends whole Ethernet frames. `packet-socket.ts` implements it with
 * AF_PACKET through bun:ffi; `fake-link.ts` is the in-memory twin for unit tests.
 */

export type LinkProtocol = "arp" | "ndp";

/** What a socket needs to know of its interface. */
export interface LinkInterface {
  readonly name: string;
  readonly index: number;
  readonly mac: Uint8Array;
}

export interface LinkSocket {
  readonly protocol: LinkProtocol;
  readonly iface: LinkInterface;
  /** Sends one Ethernet frame (destination MAC first). Returns an error text instead of throwing. */
  send(frame: Uint8Array): string | undefined;
  /**
   * NDP: joins the IPv6 multicast group (16 bytes) on this interface, so the NIC accepts frames to it
   * and MLD-snooping switches forward them (IPV6_JOIN_GROUP: the kernel sends the MLD report).
   * Returns an error text instead of throwing. ARP sockets ignore it.
   */
  joinGroup(group: Uint8Array): string | undefined;
  leaveGroup(group: Uint8Array): string | undefined;
  /** Idempotent; nothing is delivered to the callback afterwards. */
  close(): void;
}

/**
 * Opens sockets for one announcer and owns what they share (the receive Worker). `open` throws when
 * the socket cannot be made (no CAP_NET_RAW, interface gone): the announcer logs it and retries on the
 * next interface scan. `close` closes every socket still open and stops the receive loop.
 */
export interface LinkSocketFactory {
  open(iface: LinkInterface, protocol: LinkProtocol, onFrame: (frame: Uint8Array) => void): LinkSocket;
  close(): Promise<void>;
  /** Set by the announcer: receive errors (errno text), reported by the receive loop. */
  onReceiveError?: ((iface: string, protocol: LinkProtocol, error: string) => void) | undefined;
}
