/**
 * Which interfaces get an ARP or NDP responder (MetalLB §4.3, `internal/layer2/announcer.go`
 * updateInterfaces): not those whose name matches an exclude pattern (the `metallb-excludel2`
 * ConfigMap), not those that are down, enslaved (`/sys/class/net/<if>/master`: bond, bridge or OVS
 * ports) or NOARP; ARP on broadcast-capable Ethernet interfaces, NDP on Ethernet interfaces with an
 * IPv6 link-local address (IPv6 is up there; MetalLB's rule).
 *
 * `interfaceVerdict` is pure; `readInterfaces` reads sysfs and procfs of the caller's network namespace
 * (no netlink: a rescan every 10 s is a handful of small file reads) and never throws.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { MAC_BYTES, parseMac } from "./ethernet.ts";

/** IFF_* flags of <linux/if.h>. */
export const IFF_UP = 0x1;
export const IFF_BROADCAST = 0x2;
export const IFF_NOARP = 0x80;
/** ARPHRD_ETHER of <linux/if_arp.h>: the only hardware type we speak ARP/NDP on. */
export const ARPHRD_ETHER = 1;

export interface NetInterface {
  readonly name: string;
  readonly index: number;
  /** ARPHRD_* hardware type. */
  readonly type: number;
  /** IFF_* flags. */
  readonly flags: number;
  readonly mac: Uint8Array | undefined;
  /** Enslaved to a bond, bridge or OVS (has a `master`). */
  readonly hasMaster: boolean;
  /** Its first usable IPv6 link-local address (fe80::/10), if any. */
  readonly linkLocal: Uint8Array | undefined;
}

export type SkipReason = "excluded" | "down" | "enslaved" | "noarp" | "notEthernet" | "noAddress";

export interface InterfaceVerdict {
  readonly arp: boolean;
  readonly ndp: boolean;
  /** Why neither responder runs on it. */
  readonly skipped?: SkipReason;
}

/** MetalLB's default `metallb-excludel2` list (the speaker's domain owns it). */
export { DEFAULT_EXCLUDE_PATTERNS } from "../../domain/speaker/exclude-interfaces.ts";

export function interfaceVerdict(iface: NetInterface, exclude: readonly RegExp[]): InterfaceVerdict {
  if (exclude.some((re) => matches(re, iface.name))) return { arp: false, ndp: false, skipped: "excluded" };
  if ((iface.flags & IFF_UP) === 0) return { arp: false, ndp: false, skipped: "down" };
  if (iface.hasMaster) return { arp: false, ndp: false, skipped: "enslaved" };
  if ((iface.flags & IFF_NOARP) !== 0) return { arp: false, ndp: false, skipped: "noarp" };
  if (iface.type !== ARPHRD_ETHER || iface.mac?.length !== MAC_BYTES) {
    return { arp: false, ndp: false, skipped: "notEthernet" };
  }
  const arp = (iface.flags & IFF_BROADCAST) !== 0;
  const ndp = iface.linkLocal !== undefined;
  return arp || ndp ? { arp, ndp } : { arp, ndp, skipped: "noAddress" };
}

/** A global or sticky regex keeps state between test() calls; reset it so the answer never depends on history. */
function matches(re: RegExp, name: string): boolean {
  re.lastIndex = 0;
  return re.test(name);
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return undefined;
  }
}

/** Link-local addresses by interface name from /proc/net/if_inet6 (addr ifindex plen scope flags name). */
function linkLocalsByName(ifInet6: string): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  const IFA_F_DADFAILED = 0x08;
  const SCOPE_LINK = 0x20;
  for (const line of (readText(ifInet6) ?? "").split("\n")) {
    const [hex, , , scope, flags, name] = line.trim().split(/\s+/);
    if (hex?.length !== 32 || !name || out.has(name)) continue;
    if (Number.parseInt(scope ?? "", 16) !== SCOPE_LINK) continue;
    if ((Number.parseInt(flags ?? "0", 16) & IFA_F_DADFAILED) !== 0) continue;
    const bytes = new Uint8Array(16);
    for (let i = 0; i < 16; i++) bytes[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
    if (bytes[0] === 0xfe && (bytes[1]! & 0xc0) === 0x80) out.set(name, bytes);
  }
  return out;
}

/**
 * The interfaces of the current network namespace. Interfaces that vanish while being read, or
 * whose files do not parse, are left out; never throws.
 */
export function readInterfaces(
  sysClassNet = "/sys/class/net",
  ifInet6 = "/proc/net/if_inet6",
): NetInterface[] {
  let names: string[];
  try {
    names = readdirSync(sysClassNet);
  } catch {
    return [];
  }
  const linkLocals = linkLocalsByName(ifInet6);
  const out: NetInterface[] = [];
  for (const name of names.sort()) {
    const dir = join(sysClassNet, name);
    const index = Number(readText(join(dir, "ifindex")));
    const type = Number(readText(join(dir, "type")));
    const flags = Number(readText(join(dir, "flags"))); // "0x1003": Number() reads hex
    if (!Number.isInteger(index) || index <= 0 || !Number.isInteger(type) || !Number.isInteger(flags))
      continue;
    const address = readText(join(dir, "address"));
    out.push({
      name,
      index,
      type,
      flags,
      mac: address === undefined ? undefined : parseMac(address),
      hasMaster: existsSync(join(dir, "master")),
      linkLocal: linkLocals.get(name),
    });
  }
  return out;
}

/** Compiles exclude patterns (e.g. from the `metallb-excludel2` ConfigMap); bad ones are returned, not thrown. */
export function compileExcludePatterns(patterns: readonly string[]): {
  regexps: RegExp[];
  invalid: string[];
} {
  const regexps: RegExp[] = [];
  const invalid: string[] = [];
  for (const p of patterns) {
    try {
      regexps.push(new RegExp(p));
    } catch {
      invalid.push(p);
    }
  }
  return { regexps, invalid };
}
