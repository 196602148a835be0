/**
 * A BGPPeer's bfdProfile as its session runs it: the BFDProfile's fields with MetalLB's defaults
 * (300 ms both ways, multiplier 3, minimum TTL 254; `bfdprofile_types.go`). Echo mode is not run:
 * the session keeps asynchronous BFD and the peer gets a warning saying so.
 */
import type { BFDProfileConfig, PeerConfig } from "../config/types.ts";
import { type BgpPeerProblem, peerProblem } from "./peer-problems.ts";
import type { BgpSessionBfd } from "./types.ts";

export const BFD_DEFAULTS = {
  receiveIntervalMs: 300,
  transmitIntervalMs: 300,
  detectMultiplier: 3,
  minimumTtl: 254,
} as const;

export interface SessionBfd {
  readonly settings: BgpSessionBfd | undefined;
  /** Problems that keep the peer from having a session here. */
  readonly blocking: readonly BgpPeerProblem[];
  /** Caveats: the session is kept. */
  readonly warnings: readonly BgpPeerProblem[];
}

export function bfdOf(peer: PeerConfig, profiles: ReadonlyMap<string, BFDProfileConfig>): SessionBfd {
  if (peer.bfdProfile === undefined) return { settings: undefined, blocking: [], warnings: [] };
  const profile = profiles.get(peer.bfdProfile);
  if (profile === undefined) {
    return {
      settings: undefined,
      blocking: [
        peerProblem(
          peer.name,
          "bfdProfileNotFound",
          "spec.bfdProfile",
          `no BFDProfile named ${peer.bfdProfile}`,
          { transient: true },
        ),
      ],
      warnings: [],
    };
  }
  const warnings = profile.echoMode
    ? [
        peerProblem(
          peer.name,
          "bfdEchoModeNotSupported",
          "spec.bfdProfile",
          `BFDProfile ${profile.name} sets echoMode: metalbun runs asynchronous BFD only (RFC 5880 §6.4 makes echo optional); the session uses the profile's control packet intervals`,
          { severity: "warning" },
        ),
      ]
    : [];
  return {
    settings: {
      profile: profile.name,
      receiveIntervalMs: profile.receiveInterval ?? BFD_DEFAULTS.receiveIntervalMs,
      transmitIntervalMs: profile.transmitInterval ?? BFD_DEFAULTS.transmitIntervalMs,
      detectMultiplier: profile.detectMultiplier ?? BFD_DEFAULTS.detectMultiplier,
      passive: profile.passiveMode,
      minimumTtl: profile.minimumTtl ?? BFD_DEFAULTS.minimumTtl,
    },
    blocking: [],
    warnings,
  };
}
