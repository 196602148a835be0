/**
 * Where heartbeats go: the segment of the bind address. Pure, over the shape of
 * os.networkInterfaces(), so it is tested without touching the machine's interfaces.
 *
 * - IPv4, default: the subnet's directed broadcast (bind address | ~netmask), e.g. 172.18.255.255
 *   for 172.18.0.3/16. Broadcast frames are flooded by every switch; IGMP snooping does not apply.
 * - IPv6, default: ff02::1 (all nodes) scoped to the interface. Every IPv6 host is a member of it,
 *   so no join (and no MLD report) is needed, and MLD-snooping switches flood it (RFC 4541 §3).
 * - An explicit address overrides: an IPv4 broadcast, an IPv4 multicast group (224.0.0.0/24 is
 *   flooded by IGMP-snooping switches, RFC 4541 §2.1.2; other groups may not be) or an IPv6
 *   link-local multicast group (ff02::/16), which we then join on the interface.
 */
import type { NetworkInterfaceInfo } from "node:os";

export type Interfaces = Readonly<Record<string, readonly NetworkInterfaceInfo[] | undefined>>;

export interface BeatDestination {
  readonly family: "IPv4" | "IPv6";
  readonly kind: "broadcast" | "multicast";
  /** The interface that holds the bind address. */
  readonly ifname: string;
  readonly bindAddress: string;
  /** Where beats are sent (IPv6: with %scope). */
  readonly sendTo: string;
  /** What the receiving socket binds to (so it gets only beats, not unicast to the node). */
  readonly listenOn: string;
  /** Multicast group to join on the interface (undefined: none needed). */
  readonly join: string | undefined;
}

export type DestinationResult =
  | { readonly ok: true; readonly destination: BeatDestination }
  | { readonly ok: false; readonly error: string };

function ipv4ToInt(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

function intToIpv4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}

function prefixOf(cidr: string | null): number | undefined {
  const p = Number(cidr?.split("/")[1]);
  return Number.isInteger(p) ? p : undefined;
}

function sameAddress(a: string, b: string): boolean {
  const strip = (x: string) => x.split("%")[0]!.toLowerCase();
  return strip(a) === strip(b);
}

/** The IPv4 directed broadcast of an address and prefix length (undefined for /31 and /32). */
export function ipv4Broadcast(address: string, prefixLength: number): string | undefined {
  const n = ipv4ToInt(address);
  if (n === undefined || prefixLength < 0 || prefixLength > 30) return undefined;
  const host = 2 ** (32 - prefixLength) - 1;
  return intToIpv4(n - (n % (host + 1)) + host);
}

function isIpv4Multicast(address: string): boolean {
  const n = ipv4ToInt(address);
  return n !== undefined && n >= 0xe0000000 && n <= 0xefffffff;
}

/** Where beats from bindAddress go, or why that cannot be worked out. */
export function beatDestination(
  bindAddress: string,
  interfaces: Interfaces,
  override?: string,
): DestinationResult {
  for (const [ifname, infos] of Object.entries(interfaces)) {
    const info = infos?.find((i) => sameAddress(i.address, bindAddress));
    if (!info) continue;
    if (info.internal) return { ok: false, error: `${bindAddress} is on loopback interface ${ifname}` };
    if (info.family === "IPv4") {
      const base = { family: "IPv4", ifname, bindAddress: info.address } as const;
      if (override !== undefined) {
        if (ipv4ToInt(override) === undefined)
          return { ok: false, error: `${override} is not an IPv4 address` };
        const multicast = isIpv4Multicast(override);
        return {
          ok: true,
          destination: {
            ...base,
            kind: multicast ? "multicast" : "broadcast",
            sendTo: override,
            listenOn: override,
            join: multicast ? override : undefined,
          },
        };
      }
      const prefix = prefixOf(info.cidr);
      const broadcast = prefix === undefined ? undefined : ipv4Broadcast(info.address, prefix);
      if (broadcast === undefined) {
        return {
          ok: false,
          error: `${info.cidr ?? bindAddress} has no broadcast address; set broadcastAddress`,
        };
      }
      return {
        ok: true,
        destination: { ...base, kind: "broadcast", sendTo: broadcast, listenOn: broadcast, join: undefined },
      };
    }
    const group = (override ?? "ff02::1").toLowerCase();
    if (!/^ff02:[0-9a-f:]*$/.test(group)) {
      return { ok: false, error: `${group} is not an IPv6 link-local multicast group (ff02::/16)` };
    }
    const scoped = `${group}%${ifname}`;
    return {
      ok: true,
      destination: {
        family: "IPv6",
        kind: "multicast",
        ifname,
        bindAddress: info.address,
        sendTo: scoped,
        listenOn: scoped,
        join: group === "ff02::1" ? undefined : group,
      },
    };
  }
  return { ok: false, error: `${bindAddress} is not an address of any interface` };
}
