import { type BGPPeer, DEFAULT_BGP_PORT } from "../api/bgp-peer.ts";
import { type IPAddress, parseIP } from "../ip/address.ts";
import { compileSelectorList, EVERYTHING } from "../selector/label-selector.ts";
import { parseGoDuration } from "./duration.ts";
import { type ConfigError, configError } from "./errors.ts";
import { nameOf, sortedByName } from "./objects.ts";
import type { BFDProfileConfig, PeerConfig } from "./types.ts";

const KIND = "BGPPeer";
const MAX_ASN = 4294967295;

function isASN(value: unknown): value is number {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 && value <= MAX_ASN;
}

/**
 * Parses BGPPeers with the rules of MetalLB's peerFromCR: ASNs, exactly one of peerASN/dynamicASN
 * and of peerAddress/interface, no ebgpMultiHop towards an iBGP peer, IP syntax of the addresses
 * and routerID, hold/keepalive timers, password vs passwordSecret, node selectors, and an existing
 * BFD profile (a transient error, as the profile may be created next).
 */
export function parsePeers(
  raw: readonly BGPPeer[] | undefined,
  bfdProfiles: ReadonlyMap<string, BFDProfileConfig>,
): { peers: Map<string, PeerConfig>; errors: ConfigError[] } {
  const peers = new Map<string, PeerConfig>();
  const errors: ConfigError[] = [];
  for (const object of sortedByName(raw)) {
    const name = nameOf(object);
    const before = errors.length;
    const fail = (code: ConfigError["code"], field: string, detail: string, transient = false) =>
      errors.push(configError(code, KIND, name, field, detail, transient));
    if (name === "") {
      fail("missingName", "metadata.name", "missing peer name");
      continue;
    }
    if (peers.has(name)) {
      fail("duplicateName", "metadata.name", `peer ${name} already exists`);
      continue;
    }
    const spec = object.spec;
    if (spec === undefined || spec === null) {
      fail("invalidSpec", "spec", "spec is missing");
      continue;
    }
    if (!isASN(spec.myASN) || spec.myASN === 0) fail("invalidASN", "spec.myASN", "missing local ASN");
    const peerASN = spec.peerASN === 0 ? undefined : spec.peerASN;
    if (peerASN !== undefined && !isASN(peerASN))
      fail("invalidASN", "spec.peerASN", `invalid peer ASN ${peerASN}`);
    if (peerASN === undefined && !spec.dynamicASN)
      fail("invalidASN", "spec.peerASN", "missing peer ASN and dynamicASN");
    if (peerASN !== undefined && spec.dynamicASN)
      fail("invalidASN", "spec.dynamicASN", "both peer ASN and dynamicASN specified");
    if (spec.dynamicASN && spec.dynamicASN !== "internal" && spec.dynamicASN !== "external") {
      fail("invalidASN", "spec.dynamicASN", `invalid dynamicASN ${spec.dynamicASN}`);
    }
    if (spec.localASN !== undefined && (!isASN(spec.localASN) || spec.localASN === 0)) {
      fail("invalidASN", "spec.localASN", `invalid local ASN ${spec.localASN}`);
    }
    const iBGP = (peerASN !== undefined && peerASN === spec.myASN) || spec.dynamicASN === "internal";
    if (iBGP && spec.ebgpMultiHop === true) {
      fail("ebgpMultiHopOnIBGP", "spec.ebgpMultiHop", "invalid ebgp-multihop parameter set for an ibgp peer");
    }
    let address: IPAddress | undefined;
    if (spec.peerAddress && spec.interface) {
      fail("invalidPeerAddress", "spec.peerAddress", "peerAddress and interface are mutually exclusive");
    } else if (!spec.peerAddress && !spec.interface) {
      fail("invalidPeerAddress", "spec.peerAddress", "one of peerAddress or interface is required");
    } else if (spec.peerAddress) {
      address = parseIP(spec.peerAddress);
      if (address === undefined)
        fail("invalidPeerAddress", "spec.peerAddress", `invalid BGPPeer address "${spec.peerAddress}"`);
    }
    const port = spec.peerPort === undefined || spec.peerPort === 0 ? DEFAULT_BGP_PORT : spec.peerPort;
    if (!Number.isInteger(port) || port < 1 || port > 65535)
      fail("invalidPort", "spec.peerPort", `invalid port ${spec.peerPort}`);
    const timers = timersOf(spec.holdTime, spec.keepaliveTime);
    if (!timers.ok) fail("invalidTimers", timers.field, `invalid BGPPeer timers: ${timers.error}`);
    let connectTimeMs: number | undefined;
    if (spec.connectTime !== undefined) {
      connectTimeMs = parseGoDuration(spec.connectTime);
      if (connectTimeMs === undefined)
        fail("invalidTimers", "spec.connectTime", `invalid duration "${spec.connectTime}"`);
    }
    let routerID: IPAddress | undefined;
    if (spec.routerID) {
      routerID = parseIP(spec.routerID);
      if (routerID === undefined)
        fail("invalidRouterID", "spec.routerID", `invalid router ID "${spec.routerID}"`);
    }
    let sourceAddress: IPAddress | undefined;
    if (spec.sourceAddress) {
      sourceAddress = parseIP(spec.sourceAddress);
      if (sourceAddress === undefined)
        fail("invalidSourceAddress", "spec.sourceAddress", `invalid source IP "${spec.sourceAddress}"`);
    }
    const nodeSelectors = compileSelectorList(spec.nodeSelectors, "nodeSelectors");
    if (!nodeSelectors.ok) fail("invalidSelector", "spec.nodeSelectors", nodeSelectors.error);
    if (spec.password && spec.passwordSecret?.name) {
      const ns = object.metadata?.namespace ?? "";
      fail(
        "passwordConflict",
        "spec.password",
        `can not have both password and secret ref set in peer config "${ns}"/"${name}"`,
      );
    }
    if (spec.bfdProfile && !bfdProfiles.has(spec.bfdProfile)) {
      fail(
        "unknownBFDProfile",
        "spec.bfdProfile",
        `peer ${name} referencing non existing bfd profile ${spec.bfdProfile}`,
        true,
      );
    }
    if (errors.length !== before || !timers.ok || !nodeSelectors.ok) continue;
    peers.set(name, {
      name,
      myASN: spec.myASN,
      peerASN,
      dynamicASN: spec.dynamicASN || undefined,
      localASN: spec.localASN,
      address,
      interface: spec.interface || undefined,
      sourceAddress,
      port,
      holdTimeMs: timers.holdMs,
      keepaliveTimeMs: timers.keepaliveMs,
      connectTimeMs,
      routerID,
      nodeSelectors: nodeSelectors.value.length > 0 ? nodeSelectors.value : [EVERYTHING],
      password: spec.password || undefined,
      passwordSecret: spec.passwordSecret?.name ? spec.passwordSecret : undefined,
      bfdProfile: spec.bfdProfile || undefined,
      enableGracefulRestart: spec.enableGracefulRestart === true,
      ebgpMultiHop: spec.ebgpMultiHop === true,
      vrf: spec.vrf || undefined,
      disableMP: spec.disableMP === true,
      dualStackAddressFamily: spec.dualStackAddressFamily === true,
    });
  }
  return { peers, errors };
}

type Timers =
  | { ok: true; holdMs: number | undefined; keepaliveMs: number | undefined }
  | { ok: false; field: string; error: string };

/**
 * MetalLB's parseTimers: with only one timer set the other is derived (keepalive = hold / 3,
 * hold = keepalive x 3); the hold time, in whole seconds, must be 0 or at least 3 s (RFC 4271
 * §4.2); the keepalive must not exceed the hold time.
 */
export function timersOf(hold: string | undefined, keepalive: string | undefined): Timers {
  if (hold === undefined && keepalive === undefined)
    return { ok: true, holdMs: undefined, keepaliveMs: undefined };
  const holdParsed = hold === undefined ? undefined : parseGoDuration(hold);
  if (hold !== undefined && holdParsed === undefined)
    return { ok: false, field: "spec.holdTime", error: `invalid duration "${hold}"` };
  const kaParsed = keepalive === undefined ? undefined : parseGoDuration(keepalive);
  if (keepalive !== undefined && kaParsed === undefined) {
    return { ok: false, field: "spec.keepaliveTime", error: `invalid duration "${keepalive}"` };
  }
  const holdMs = holdParsed ?? (kaParsed ?? 0) * 3;
  const keepaliveMs = kaParsed ?? holdMs / 3;
  const holdText = hold ?? `${holdMs / 1000}s`;
  const wholeSeconds = Math.trunc(holdMs / 1000);
  if (wholeSeconds !== 0 && wholeSeconds < 3) {
    return { ok: false, field: "spec.holdTime", error: `invalid hold time "${holdText}": must be 0 or >=3s` };
  }
  if (keepaliveMs > holdMs) {
    return {
      ok: false,
      field: "spec.keepaliveTime",
      error: `invalid keepaliveTime "${keepalive}", must be lower than holdTime "${holdText}"`,
    };
  }
  return { ok: true, holdMs, keepaliveMs };
}
