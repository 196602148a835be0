/** The BFD sessions a set of BGP sessions asks for: one per session whose BGPPeer names a bfdProfile. */
import type { BgpSessionSpec } from "../../domain/bgp/types.ts";
import type { BfdStateChange } from "../bfd/machine.ts";
import type { BfdPeerSpec } from "../bfd/runner.ts";

/** What the announcer needs of the BFD side (bfd/host.ts). */
export interface BfdSessions {
  setDesired(peers: readonly BfdPeerSpec[]): void;
  /** AdminDown to every peer (RFC 5882 §3.2: a planned stop is not a failure), then the end. */
  stop(): Promise<void>;
}

export type { BfdStateChange };

export function bfdPeersOf(sessions: readonly BgpSessionSpec[]): BfdPeerSpec[] {
  const peers: BfdPeerSpec[] = [];
  for (const s of sessions) {
    if (s.bfd === undefined) continue;
    peers.push({
      key: s.peer,
      peerAddress: s.peerAddress,
      ...(s.sourceAddress === undefined ? {} : { localAddress: s.sourceAddress }),
      multihop: s.ebgpMultiHop,
      minimumTtl: s.bfd.minimumTtl,
      timers: {
        desiredMinTxUs: s.bfd.transmitIntervalMs * 1000,
        requiredMinRxUs: s.bfd.receiveIntervalMs * 1000,
        detectMult: s.bfd.detectMultiplier,
        passive: s.bfd.passive,
      },
    });
  }
  return peers;
}
