/**
 * The BGP sessions this node holds: one per BGPPeer whose nodeSelectors select it (MetalLB
 * `bgpController.syncPeers`), with every default of MetalLB's native backend applied and the
 * password read, so the announcer never looks at configuration.
 *
 * A peer asking for what metalbun does not do yet (unnumbered, VRF), or whose
 * Secret cannot be read, gets a problem and no session on this node; the other peers are
 * unaffected. A bfdProfile gives the session BFD with that profile's timers.
 */
import { byCodeUnits } from "../code-unit-order.ts";
import type { Config, PeerConfig } from "../config/types.ts";
import { formatIP } from "../ip/address.ts";
import { anySelectorMatches, type Labels } from "../selector/label-selector.ts";
import { type BgpSecrets, passwordOf } from "./password.ts";
import { type BgpPeerProblem, NOT_SUPPORTED_YET, peerProblem } from "./peer-problems.ts";
import { bfdOf } from "./session-bfd.ts";
import type { BgpSessionSpec } from "./types.ts";

/** MetalLB native's hold time when the BGPPeer sets none (FRR modes use 180 s). */
export const DEFAULT_HOLD_TIME_S = 90;
/** MetalLB native's reconnect backoff cap, which `connectTime` replaces. */
export const DEFAULT_CONNECT_TIME_S = 120;
/** RFC 4271 §4.2: the Hold Time field is 2 octets. */
export const MAX_HOLD_TIME_S = 65535;

export interface BgpSessionsOptions {
  /** When given, a passwordSecret naming another namespace is a problem. */
  readonly metallbNamespace?: string;
}

export interface BgpSessions {
  /** In peer-name order. */
  readonly sessions: readonly BgpSessionSpec[];
  /** In peer-name order, then in the order the fields are checked. */
  readonly problems: readonly BgpPeerProblem[];
}

/** Problems that keep the peer from having a session here: what only FRR-based MetalLB serves. */
function unsupportedProblems(peer: PeerConfig): BgpPeerProblem[] {
  const problems: BgpPeerProblem[] = [];
  if (peer.interface !== undefined || peer.address === undefined) {
    problems.push(
      peerProblem(peer.name, "unnumberedNotSupported", "spec.interface", NOT_SUPPORTED_YET.interface),
    );
  }
  if (peer.vrf !== undefined)
    problems.push(peerProblem(peer.name, "vrfNotSupported", "spec.vrf", NOT_SUPPORTED_YET.vrf));
  if (peer.routerID !== undefined && peer.routerID.family !== "ipv4") {
    problems.push(
      peerProblem(
        peer.name,
        "routerIDNotIPv4",
        "spec.routerID",
        `router ID ${formatIP(peer.routerID)} is not an IPv4 address: the BGP Identifier is 4 octets`,
      ),
    );
  }
  return problems;
}

interface Timers {
  readonly holdTimeS: number;
  readonly keepaliveTimeS: number;
  readonly connectTimeS: number;
}

/**
 * Whole seconds, as the OPEN carries them. The parser derived the missing one of hold and
 * keepalive (keepalive = hold / 3); with neither set, native's 90 s hold and hold / 3. A hold of
 * 0 disables keepalives (RFC 4271 §4.4); otherwise a keepalive under a second is sent every second.
 */
function timersOf(peer: PeerConfig): Timers {
  const holdTimeS = peer.holdTimeMs === undefined ? DEFAULT_HOLD_TIME_S : Math.trunc(peer.holdTimeMs / 1000);
  const keepaliveMs = peer.keepaliveTimeMs ?? (holdTimeS * 1000) / 3;
  const keepaliveTimeS = holdTimeS === 0 ? 0 : Math.max(1, Math.trunc(keepaliveMs / 1000));
  const connectTimeS =
    peer.connectTimeMs === undefined
      ? DEFAULT_CONNECT_TIME_S
      : Math.max(1, Math.trunc(peer.connectTimeMs / 1000));
  return { holdTimeS, keepaliveTimeS, connectTimeS };
}

/**
 * @param node this node's labels (a NodeFacts fits)
 * @param secrets Secrets of the MetalLB namespace, by name
 */
export function bgpSessionsFor(
  config: Config,
  node: { readonly labels: Labels },
  secrets: BgpSecrets,
  options: BgpSessionsOptions = {},
): BgpSessions {
  const sessions: BgpSessionSpec[] = [];
  const problems: BgpPeerProblem[] = [];
  const names = [...config.peers.keys()].sort(byCodeUnits);
  for (const name of names) {
    const peer = config.peers.get(name);
    if (peer === undefined || !anySelectorMatches(peer.nodeSelectors, node.labels)) continue;
    const blocking = unsupportedProblems(peer);
    const timers = timersOf(peer);
    if (timers.holdTimeS > MAX_HOLD_TIME_S) {
      blocking.push(
        peerProblem(
          name,
          "holdTimeTooLong",
          "spec.holdTime",
          `hold time ${timers.holdTimeS}s exceeds ${MAX_HOLD_TIME_S}s, the most a BGP OPEN can carry`,
        ),
      );
    }
    const password = passwordOf(peer, secrets, options.metallbNamespace);
    if (!password.ok) blocking.push(password.problem);
    const bfd = bfdOf(peer, config.bfdProfiles);
    blocking.push(...bfd.blocking);
    problems.push(...blocking);
    problems.push(...bfd.warnings);
    if (peer.disableMP) {
      problems.push(
        peerProblem(
          name,
          "disableMPDeprecated",
          "spec.disableMP",
          "disableMP is deprecated and has no effect: each session carries the families its peer address and dualStackAddressFamily give it",
          { severity: "warning" },
        ),
      );
    }
    if (blocking.length > 0 || !password.ok || peer.address === undefined) continue;
    sessions.push({
      peer: name,
      // localASN replaces myASN toward this peer, in the OPEN and the AS_PATH (FRR `local-as N
      // no-prepend replace-as`, as MetalLB 0.16 configures it).
      myASN: peer.localASN ?? peer.myASN,
      peerASN: peer.peerASN,
      dynamicASN: peer.dynamicASN,
      peerAddress: formatIP(peer.address),
      peerPort: peer.port,
      sourceAddress: peer.sourceAddress === undefined ? undefined : formatIP(peer.sourceAddress),
      routerID: peer.routerID === undefined ? undefined : formatIP(peer.routerID),
      ...timers,
      password: password.password,
      ebgpMultiHop: peer.ebgpMultiHop,
      dualStackAddressFamily: peer.dualStackAddressFamily,
      bfd: bfd.settings,
      gracefulRestart: peer.enableGracefulRestart === true,
    });
  }
  return { sessions, problems };
}
